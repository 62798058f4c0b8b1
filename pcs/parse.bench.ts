/**
 * Measures the per-record cost of the ingest's CPU steps on one ~800-byte record: JSON.parse as
 * a floor, the strict lossless reader, the full typed parse, the canonical payload, and parse +
 * payload + verification for each scheme. Not a test; run:
 *
 *   npx tsx pcs/parse.bench.ts [seconds-per-case, default 1]
 *
 * Each case runs for a fixed time (and at most 5,000,000 iterations) after a warm-up.
 */
import { canonicalPayload } from './canonical.ts';
import { parseJson } from './json.ts';
import { KeySet, keysFromEnv } from './keys.ts';
import { parsePcs } from './parse.ts';
import { formatRecord } from './record.ts';
import { buildRecord, ed25519Material, hmacMaterial, signRecord } from './sign.ts';
import { verifySignals } from './signals.ts';

const seconds = Number(process.argv[2] ?? 1);
const MAX_ITERATIONS = 5_000_000;

const seed = Buffer.from('AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=', 'base64');
const unsigned = buildRecord({
  shard_id: 'tenant-acme/region-eu-west-1/stream-orders/shard-000001-of-000512-replica-b',
  epoch: 3,
  now: new Date('2026-11-30T10:00:00Z'),
  v_star: [0.1234567891, 0.2345678912, 0.9712345678, 0.0001234567, 0.5, 0.25, 0.125, 0.0625],
  ft: {
    outbox_seq: 1042,
    degraded: true,
    fallbacks: ['clock-ntp', 'outbox-disk'],
    clock_skew_ms: 12.5,
  },
});
const bodies = {
  hmac: Buffer.from(
    formatRecord(signRecord(unsigned, { scheme: 'hmac-sha256', key: hmacMaterial('testsecret') })),
  ),
  ed25519: Buffer.from(
    formatRecord(signRecord(unsigned, { scheme: 'ed25519', key: ed25519Material(seed) })),
  ),
};
const hmacKeys = new KeySet(keysFromEnv({ alg: 'hmac', hmacKey: 'testsecret' }));
const edKeys = new KeySet(
  keysFromEnv({ alg: 'ed25519', ed25519PubB64: 'A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=' }),
);

function ingest(body: Buffer, keys: KeySet): boolean {
  const parsed = parsePcs(body);
  if (!parsed.ok) return false;
  const sig = keys.verify(canonicalPayload(parsed.record), parsed.record.sig);
  return sig.ok && verifySignals(parsed.record).accepted;
}

function measure(name: string, run: () => unknown) {
  const warmUntil = performance.now() + 200;
  while (performance.now() < warmUntil) run();
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  let n = 0;
  while (n < MAX_ITERATIONS && (n % 64 !== 0 || performance.now() < end)) {
    run();
    n++;
  }
  const micros = ((performance.now() - start) * 1000) / n;
  console.log(
    `${name.padEnd(46)} ${micros.toFixed(2).padStart(8)} µs  ${Math.round(1e6 / micros)} /s`,
  );
}

const record = parsePcs(bodies.hmac);
if (!record.ok || !ingest(bodies.hmac, hmacKeys) || !ingest(bodies.ed25519, edKeys)) {
  throw new Error('bench records do not verify');
}
console.log(`Node ${process.version}; record of ${bodies.hmac.length} bytes; ${seconds}s per case`);
measure('JSON.parse (floor, not strict)', () => JSON.parse(bodies.hmac.toString('utf8')));
measure('parseJson (strict lossless tree)', () => parseJson(bodies.hmac.toString('utf8')));
measure('parsePcs (UTF-8 check + tree + typed record)', () => parsePcs(bodies.hmac));
measure('canonicalPayload', () => canonicalPayload(record.record));
measure('parse + payload + hmac-sha256 + signals', () => ingest(bodies.hmac, hmacKeys));
measure('parse + payload + ed25519 + signals', () => ingest(bodies.ed25519, edKeys));
