// buildRecord + signRecord make records a verifier accepts (200) for every scheme, and
// formatRecord writes them so that the backend's parse gives the same payload back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { runPipeline } from '../golden/vectors.ts';
import { canonicalPayload } from './canonical.ts';
import { KeySet, generateEd25519, generateHmac, parseSignerKey, parseVerifierKey } from './keys.ts';
import { parsePcs } from './parse.ts';
import { formatRecord } from './record.ts';
import { SCHEMES } from './schemes.ts';
import type { Scheme } from './schemes.ts';
import { buildRecord, hmacMaterial, signRecord } from './sign.ts';

function keyPair(scheme: Scheme) {
  const gen = scheme === 'ed25519' ? generateEd25519() : generateHmac(32, { schemes: [scheme] });
  return {
    signer: parseSignerKey(JSON.stringify(gen.signer)),
    keys: new KeySet([parseVerifierKey(JSON.stringify(gen.verifier), `${gen.kid}.json`)]),
  };
}

describe('buildRecord and signRecord', () => {
  it.each(SCHEMES)('make a record that gets 200 under %s', (scheme) => {
    const { signer, keys } = keyPair(scheme);
    const rec = signRecord(
      buildRecord({ shard_id: 'demo', epoch: 7, now: new Date('2026-12-01T00:00:00Z') }),
      signer,
    );
    const result = runPipeline(formatRecord(rec), keys);
    expect(result).toMatchObject({ status: 200, kid: signer.kid, scheme });
  });

  it('leave the input record unsigned and unchanged', () => {
    const rec = buildRecord({ shard_id: 'demo', epoch: 1 });
    const signed = signRecord(rec, { scheme: 'hmac-sha256', key: hmacMaterial('k') });
    expect(rec.sig).toBe('');
    expect(signed.sig).not.toBe('');
  });

  it('survive formatRecord with a negative zero (JSON.stringify would write 0 and break the signature)', () => {
    const { signer, keys } = keyPair('hmac-sha256');
    const rec = signRecord(buildRecord({ shard_id: 'z', epoch: 1, r: -0 }), signer);
    expect(formatRecord(rec)).toContain('"r":-0.0');
    expect(runPipeline(formatRecord(rec), keys).status).toBe(200);
  });

  it('refuse counts from which D̂ cannot be computed', () => {
    expect(() => buildRecord({ shard_id: 'x', epoch: 1, scales: [2], N_j: { '2': 3 } })).toThrow(
      /cannot compute D_hat/,
    );
  });

  it('give 200 for any shard id, epoch, counts and claims, through formatRecord and parse', () => {
    const { signer, keys } = keyPair('hmac-sha256');
    const counts = fc.array(fc.integer({ min: 1, max: 1e6 }), { minLength: 2, maxLength: 8 });
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
        fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
        counts,
        fc.double({ min: 0, max: 1.05, noNaN: true }),
        fc.double({ min: -1, max: 2, noNaN: true }),
        (shard, epoch, ns, coh, r) => {
          const scales = ns.map((_, i) => 2 ** (i + 1));
          const N_j = Object.fromEntries(scales.map((s, i) => [String(s), ns[i]!]));
          const rec = signRecord(
            buildRecord({ shard_id: shard, epoch, scales, N_j, coh_star: coh, r }),
            signer,
          );
          const text = formatRecord(rec);
          const parsed = parsePcs(text);
          expect(parsed.ok && canonicalPayload(parsed.record).equals(canonicalPayload(rec))).toBe(
            true,
          );
          expect(runPipeline(text, keys).status).toBe(200);
          return true;
        },
      ),
      { numRuns: 500 },
    );
  });
});
