// Library-level interoperability: every reference-agent vector and every generated vector goes
// through parse -> canonical payload -> signature -> signals and must give its expected status.
import { describe, expect, it } from 'vitest';

import {
  EXTRA_VECTORS,
  REFERENCE_VECTORS,
  goldenKeySet,
  goldenKeys,
  loadGoldenFile,
  runPipeline,
} from '../golden/vectors.ts';
import type { GoldenFile, GoldenVector } from '../golden/vectors.ts';
import { canonicalPayload } from './canonical.ts';
import { ed25519PrivateKeyFromSeed, ed25519PublicKeyBytes } from './ed25519.ts';
import { parsePcs } from './parse.ts';
import { verifyPayload } from './schemes.ts';

const reference = loadGoldenFile(REFERENCE_VECTORS);
const extra = loadGoldenFile(EXTRA_VECTORS);

function checkFile(file: GoldenFile, label: string) {
  const allSchemes = goldenKeySet(file);
  const label_ = (v: GoldenVector) => `${v.name} [${v.scheme ?? 'any'}] -> ${v.expect.join('|')}`;
  const signed = file.vectors.filter((v) => v.scheme !== undefined);

  describe(label, () => {
    it('has an Ed25519 public key that is the one of its seed', () => {
      const seed = Buffer.from(file.ed25519SeedB64, 'base64');
      const pub = ed25519PublicKeyBytes(ed25519PrivateKeyFromSeed(seed));
      expect(pub.toString('base64')).toBe(file.ed25519PubB64);
    });

    it.each(
      file.vectors.filter((v) => v.payload !== undefined).map((v) => [label_(v), v] as const),
    )('reproduces the signed payload byte for byte and verifies the signature: %s', (_, v) => {
      const parsed = parsePcs(Buffer.from(v.body, 'utf8'));
      if (!parsed.ok) throw new Error(`parse failed: ${parsed.error.message}`);
      expect(canonicalPayload(parsed.record).toString('latin1')).toBe(v.payload);
      const [key] = goldenKeys(file, [v.scheme!]);
      expect(
        verifyPayload(
          v.scheme!,
          key!.material,
          Buffer.from(v.payload!, 'latin1'),
          parsed.record.sig,
        ),
      ).toBe(true);
    });

    it.each(signed.filter((v) => v.expect.includes(401)).map((v) => [label_(v), v] as const))(
      'refuses the signature of a tampered or badly encoded vector: %s',
      (_, v) => {
        const result = runPipeline(v.body, goldenKeySet(file, [v.scheme!]));
        expect(result.status === 400 || result.status === 401).toBe(true);
      },
    );

    it.each(signed.map((v) => [label_(v), v] as const))(
      'answers the expected status with a backend configured for that scheme only: %s',
      (_, v) => {
        const result = runPipeline(v.body, goldenKeySet(file, [v.scheme!]));
        expect(v.expect).toContain(result.status);
        if (result.status === 200 || result.status === 202) expect(result.scheme).toBe(v.scheme);
      },
    );

    it.each(file.vectors.map((v) => [label_(v), v] as const))(
      'answers the expected status with a backend accepting all three schemes: %s',
      (_, v) => {
        const result = runPipeline(v.body, allSchemes);
        expect(v.expect).toContain(result.status);
        if (result.status === 400 && v.errorCode !== undefined) {
          expect(result.error.code).toBe(v.errorCode);
          if (v.errorField !== undefined && v.errorField !== null)
            expect(result.error.field).toBe(v.errorField);
        }
      },
    );
  });
}

checkFile(reference, 'reference agent vectors (../shared/golden)');
checkFile(extra, 'generated vectors (golden/pcs-extra-vectors.json)');

describe('reference vector file', () => {
  it('keeps the epoch beyond 2^53 exact and verifies it exactly', () => {
    const v = reference.vectors.find((x) => x.name === 'unsafe-epoch' && x.payload !== undefined)!;
    const parsed = parsePcs(v.body);
    expect(parsed.ok && parsed.record.epoch).toBe(9007199254740993n);
    expect(runPipeline(v.body, goldenKeySet(reference)).status).toBe(200);
  });

  it('holds every vector this suite expects (17 cases x 3 schemes x untampered/tampered)', () => {
    expect(reference.vectors).toHaveLength(102);
  });
});
