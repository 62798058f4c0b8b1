// The canonical payload's string escaping and layout, against python3's json.dumps outputs
// (golden "strings"), a reference model built on JSON.stringify, and structural properties.
import { createHash } from 'node:crypto';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { EXTRA_VECTORS, loadGoldenFile } from '../golden/vectors.ts';
import { canonicalPayload, computePcsId, isWellFormedText, pyJsonString } from './canonical.ts';
import type { JsonNumber, JsonObject } from './json.ts';

/**
 * Reference model: JSON.stringify already escapes `"`, `\`, control characters (\b \f \n \r \t
 * short, the rest \u00XX lower-case) and lone surrogates (\udXXX); ensure_ascii additionally
 * escapes DEL and everything above it, one UTF-16 code unit at a time.
 */
function refPyJsonString(s: string): string {
  return JSON.stringify(s).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Any UTF-16 code unit, lone surrogates included, with the interesting ranges more likely. */
const codeUnit = fc
  .oneof(
    fc.integer({ min: 0, max: 0x7f }),
    fc.integer({ min: 0, max: 0x1f }),
    fc.integer({ min: 0x80, max: 0xffff }),
    fc.integer({ min: 0xd800, max: 0xdfff }),
  )
  .map((c) => String.fromCharCode(c));
const anyText = fc.string({ unit: codeUnit, maxLength: 24 });
const wellFormedText = fc.string({ unit: 'binary', maxLength: 24 });

describe('pyJsonString (json.dumps ensure_ascii)', () => {
  it.each([
    ['plain', '"plain"'],
    ['q"b\\s/', '"q\\"b\\\\s/"'],
    ['\b\f\n\r\t', '"\\b\\f\\n\\r\\t"'],
    ['\u0000\u001f\u007f', '"\\u0000\\u001f\\u007f"'],
    ['golden-\u00fc-\u00f8', '"golden-\\u00fc-\\u00f8"'],
    ['\u2028\uffff', '"\\u2028\\uffff"'],
    ['\u{1F680}', '"\\ud83d\\ude80"'],
    ['\ud800x\udfff', '"\\ud800x\\udfff"'],
  ])('escapes %j as Python: %s', (input, out) => {
    expect(pyJsonString(input)).toBe(out);
  });

  it('matches every string python3 escaped (golden "strings")', () => {
    const strings = loadGoldenFile(EXTRA_VECTORS).doc.strings as JsonObject[];
    expect(strings.length).toBeGreaterThan(500);
    const wrong = strings.filter((entry) => {
      const units = (entry.units as JsonNumber[]).map((u) => Number(u.raw));
      return pyJsonString(String.fromCharCode(...units)) !== entry.json;
    });
    expect(wrong).toEqual([]);
  });

  it('agrees with the JSON.stringify-based model on any code units, lone surrogates included', () => {
    fc.assert(
      fc.property(anyText, (s) => pyJsonString(s) === refPyJsonString(s)),
      { numRuns: 10_000 },
    );
  });

  it('is pure printable ASCII and parses back to the same code units', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        const out = pyJsonString(s);
        return /^[\x20-\x7e]*$/.test(out) && JSON.parse(out) === s;
      }),
      { numRuns: 10_000 },
    );
  });
});

describe('canonicalPayload', () => {
  const base = {
    pcs_id: 'p',
    merkle_root: 'm',
    epoch: 3n,
    shard_id: 's',
    D_hat: 1,
    coh_star: 0.5093149315,
    r: 5e-5,
    budget: 1e16,
  };

  it('sorts keys in code-point order, compact, numbers as Python floats', () => {
    expect(canonicalPayload(base).toString('latin1')).toBe(
      '{"D_hat":1.0,"budget":1e+16,"coh_star":0.509314932,"epoch":3,"merkle_root":"m","pcs_id":"p","r":5e-05,"shard_id":"s"}',
    );
  });

  it('prints epochs beyond 2^53 and negative ones exactly', () => {
    expect(canonicalPayload({ ...base, epoch: 2n ** 63n - 1n }).toString()).toContain(
      '"epoch":9223372036854775807,',
    );
    expect(canonicalPayload({ ...base, epoch: -1n }).toString()).toContain('"epoch":-1,');
  });

  it('refuses numbers the reference cannot quantize', () => {
    expect(() => canonicalPayload({ ...base, D_hat: 1e19 })).toThrow(RangeError);
    expect(() => canonicalPayload({ ...base, budget: NaN })).toThrow(RangeError);
  });

  it('is valid JSON holding the same strings for any shard id', () => {
    fc.assert(
      fc.property(anyText, (shard) => {
        const payload = canonicalPayload({ ...base, shard_id: shard });
        return JSON.parse(payload.toString('latin1')).shard_id === shard;
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('computePcsId', () => {
  it('hashes the UTF-8 bytes of merkle_root|epoch|shard_id', () => {
    const expected = createHash('sha256')
      .update(Buffer.from('ab|9007199254740993|\u00fc\u{1F680}', 'utf8'))
      .digest('hex');
    expect(computePcsId('ab', 9007199254740993n, '\u00fc\u{1F680}')).toBe(expected);
  });

  it('refuses a lone surrogate rather than hash U+FFFD in its place (which would collide)', () => {
    expect(() => computePcsId('ab', 1n, 'x\ud800')).toThrow(TypeError);
    expect(computePcsId('ab', 1n, 'x\ufffd')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('treats exactly the strings without lone surrogates as well-formed', () => {
    fc.assert(
      fc.property(wellFormedText, (s) => isWellFormedText(s)),
      { numRuns: 2_000 },
    );
    fc.assert(
      fc.property(
        anyText,
        (s) => isWellFormedText(s) === (Buffer.from(s, 'utf8').toString('utf8') === s),
      ),
      { numRuns: 5_000 },
    );
  });
});
