/**
 * Measures Ed25519 verification on this machine: Node's native crypto (raw and with the strict
 * checks of pcs/ed25519.ts) against @noble/ed25519 (strict and ZIP-215 modes), plus the
 * load-time key check and an HMAC verification for scale. Not a test; run:
 *
 *   npx tsx pcs/ed25519.bench.ts [seconds-per-case, default 1.5]
 *
 * Each case runs for a fixed time (and at most 2,000,000 iterations) after a warm-up.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';

import * as noble from '@noble/ed25519';

import {
  ed25519PrivateKeyFromSeed,
  ed25519PublicKeyBytes,
  ed25519Sign,
  ed25519VerifyStrict,
} from './ed25519.ts';
import { importEd25519PublicKey } from './ed25519.ts';
import { payloadDigest, verifyInput } from './schemes.ts';

noble.hashes.sha512 = (m) => createHash('sha512').update(m).digest();

const seconds = Number(process.argv[2] ?? 1.5);
const MAX_ITERATIONS = 2_000_000;

const seed = Buffer.from('AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=', 'base64');
const privateKey = ed25519PrivateKeyFromSeed(seed);
const pub = ed25519PublicKeyBytes(privateKey);
const message = payloadDigest(Buffer.from('{"D_hat":0.866733469,"budget":0.285,"coh_star":0.73}'));
const sig = ed25519Sign(privateKey, message);
const prepared = importEd25519PublicKey(pub);
const nodeKey = createPublicKey({
  key: { kty: 'OKP', crv: 'Ed25519', x: pub.toString('base64url') },
  format: 'jwk',
});
const hmacKey = { alg: 'hmac-sha256' as const, secret: Buffer.alloc(32, 7) };
const hmacSig = createHash('sha256').digest(); // wrong on purpose: a full failed comparison

function measure(
  name: string,
  run: () => unknown,
): { name: string; perSecond: number; micros: number } {
  const warmUntil = performance.now() + Math.min(300, seconds * 200);
  while (performance.now() < warmUntil) run();

  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  let n = 0;
  while (n < MAX_ITERATIONS && (n % 16 !== 0 || performance.now() < end)) {
    run();
    n++;
  }
  const elapsed = (performance.now() - start) / 1000;
  return { name, perSecond: n / elapsed, micros: (elapsed / n) * 1e6 };
}

async function measureAsync(name: string, run: () => Promise<unknown>) {
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  let n = 0;
  while (n < MAX_ITERATIONS && performance.now() < end) {
    await run();
    n++;
  }
  const elapsed = (performance.now() - start) / 1000;
  return { name, perSecond: n / elapsed, micros: (elapsed / n) * 1e6 };
}

const results = [
  measure('node crypto.verify (no extra checks)', () => verify(null, message, nodeKey, sig)),
  measure('pcs ed25519VerifyStrict (node + checks)', () =>
    ed25519VerifyStrict(prepared, message, sig),
  ),
  measure('noble verify, zip215: false (strict)', () =>
    noble.verify(sig, message, pub, { zip215: false }),
  ),
  measure('noble verify, default (ZIP-215)', () => noble.verify(sig, message, pub)),
  await measureAsync('noble verifyAsync (WebCrypto sha512)', () =>
    noble.verifyAsync(sig, message, pub),
  ),
  measure('pcs importEd25519PublicKey (load time)', () => importEd25519PublicKey(pub)),
  measure('hmac-sha256 verifyInput (for scale)', () =>
    verifyInput('hmac-sha256', hmacKey, message, hmacSig),
  ),
];

console.log(`Node ${process.version}, ${seconds}s per case`);
for (const r of results) {
  console.log(
    `${r.name.padEnd(44)} ${Math.round(r.perSecond).toString().padStart(9)} /s` +
      `  ${r.micros.toFixed(1).padStart(8)} µs`,
  );
}
