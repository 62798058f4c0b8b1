// Python float repr and Decimal quantize, checked three ways: against outputs python3 produced
// (golden/pcs-extra-vectors.json "numbers"), against a reference model written differently
// (digit search with toPrecision, BigInt rational rounding), and on hand-picked edge cases.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { EXTRA_VECTORS, loadGoldenFile } from '../golden/vectors.ts';
import { canonicalNumber } from './canonical.ts';
import type { JsonObject } from './json.ts';
import { QUANTIZE_LIMIT, formatPyFloat, quantize9, shortestDecimal } from './pyfloat.ts';

// ---- reference model ------------------------------------------------------------------------

/** |x| as an exact fraction num/den (den a power of two), from the IEEE 754 bits. */
function exactValue(x: number): { num: bigint; den: bigint } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const e2 = (biased === 0 ? 1 : biased) - 1075;
  return e2 >= 0
    ? { num: mantissa << BigInt(e2), den: 1n }
    : { num: mantissa, den: 1n << BigInt(-e2) };
}

/**
 * Shortest round-trip digits by search: for growing p, the p-digit candidates around
 * toExponential's; among those that round-trip, the closest to the exact value, the even one
 * on a tie (the rule of Number::toString and of Python's repr).
 */
function refShortest(x: number): { digits: bigint; exp10: number } {
  const ax = Math.abs(x);
  const exact = exactValue(x);
  for (let p = 1; p <= 17; p++) {
    const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(ax.toExponential(p - 1))!;
    const near = BigInt(m[1]! + (m[2] ?? ''));
    const exp10 = Number(m[3]) - (p - 1); // candidate value: d * 10^exp10
    const scale =
      exp10 >= 0 ? { mul: 10n ** BigInt(exp10), den: 1n } : { mul: 1n, den: 10n ** BigInt(-exp10) };
    const distance = (d: bigint) => {
      const diff = d * scale.mul * exact.den - exact.num * scale.den;
      return diff < 0n ? -diff : diff;
    };
    const fits = [near - 1n, near, near + 1n].filter(
      (d) => d > 0n && Number(`${d}e${exp10}`) === ax,
    );
    if (fits.length === 0) continue;
    fits.sort((a, b) => {
      const da = distance(a);
      const db = distance(b);
      if (da !== db) return da < db ? -1 : 1;
      return a % 2n === 0n ? -1 : 1;
    });
    return strip(fits[0]!, exp10);
  }
  throw new Error(`no round-trip digits for ${x}`);
}

function strip(d: bigint, e: number): { digits: bigint; exp10: number } {
  while (d % 10n === 0n) {
    d /= 10n;
    e++;
  }
  return { digits: d, exp10: e };
}

/** Rounds digits * 10^exp10 to units of 1e-9, half away from zero, in exact integers. */
function refQuantize(x: number): number {
  if (x === 0) return x;
  const { digits, exp10 } = refShortest(x);
  const shift = exp10 + 9; // value in 1e-9 units = digits * 10^shift
  let units: bigint;
  if (shift >= 0) {
    units = digits * 10n ** BigInt(shift);
  } else {
    const den = 10n ** BigInt(-shift);
    units = digits / den + (2n * (digits % den) >= den ? 1n : 0n);
  }
  return Number(`${x < 0 ? '-' : ''}${units}e-9`);
}

/** Python repr layout, built as "digits with a decimal point moved", then trimmed. */
function refRepr(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const { digits, exp10 } = refShortest(x);
  const ds = digits.toString();
  const sci = exp10 + ds.length - 1; // exponent of the first digit
  const sign = x < 0 ? '-' : '';
  if (sci < -4 || sci >= 16) {
    const frac = ds.slice(1);
    const e = `${sci < 0 ? '-' : '+'}${Math.abs(sci) < 10 ? '0' : ''}${Math.abs(sci)}`;
    return `${sign}${ds[0]}${frac === '' ? '' : `.${frac}`}e${e}`;
  }
  // Fixed: place the point `sci + 1` digits into a zero-padded string.
  const padded =
    sci < 0 ? '0'.repeat(-sci) + ds : ds + '0'.repeat(Math.max(0, sci + 1 - ds.length));
  const point = sci < 0 ? 1 : sci + 1;
  const int = padded.slice(0, point);
  const frac = padded.slice(point);
  return `${sign}${int}.${frac === '' ? '0' : frac}`;
}

// ---- arbitraries ---------------------------------------------------------------------------

const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const quantizable = finite.filter((x) => Math.abs(x) < QUANTIZE_LIMIT);
/** Decimal strings with a 5 in the 10th decimal: exact ties for the 9-decimal rounding. */
const tie = fc
  .tuple(
    fc.boolean(),
    fc.bigInt({ min: 0n, max: 10n ** 8n }),
    fc.bigInt({ min: 0n, max: 10n ** 9n - 1n }),
  )
  .map(([neg, int, frac]) => `${neg ? '-' : ''}${int}.${frac.toString().padStart(9, '0')}5`);

// ---- tests -----------------------------------------------------------------------------------

describe('formatPyFloat', () => {
  it.each([
    [1, '1.0'],
    [-1, '-1.0'],
    [0, '0.0'],
    [-0, '-0.0'],
    [0.285, '0.285'],
    [5e-5, '5e-05'],
    [1.24e-7, '1.24e-07'],
    [0.0001, '0.0001'],
    [1e16, '1e+16'],
    [9999999999999998, '9999999999999998.0'],
    [1.5e16, '1.5e+16'],
    [1e22, '1e+22'],
    [1e-100, '1e-100'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [123456789.12345679, '123456789.12345679'],
    // Exactly ...998.125: two 17-digit candidates tie; repr (and String()) take the even one.
    // Written as a string: eslint's no-loss-of-precision re-rounds ties upward and flags it.
    [Number('-109180660099998.12'), '-109180660099998.12'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
    [NaN, 'NaN'],
  ])('prints %s as Python repr does: %s', (x, repr) => {
    expect(formatPyFloat(x)).toBe(repr);
  });

  it('agrees with the reference model on arbitrary doubles', () => {
    fc.assert(
      fc.property(finite, (x) => formatPyFloat(x) === refRepr(x)),
      { numRuns: 20_000 },
    );
  });

  it('always parses back to the same double', () => {
    fc.assert(
      fc.property(finite, (x) => Object.is(Number(formatPyFloat(x)), x)),
      { numRuns: 5_000 },
    );
  });

  it('uses exponent form exactly when the decimal exponent is below -4 or at least 16', () => {
    fc.assert(
      fc.property(
        finite.filter((x) => x !== 0),
        (x) => {
          const { exponent } = shortestDecimal(x);
          return formatPyFloat(x).includes('e') === (exponent < -4 || exponent >= 16);
        },
      ),
      { numRuns: 5_000 },
    );
  });
});

describe('quantize9', () => {
  it.each([
    [0.5093149315, 0.509314932],
    [-1.0000000005, -1.000000001],
    [2.5e-9, 3e-9],
    [-2.5e-9, -3e-9],
    [5e-10, 1e-9],
    [-5e-10, -1e-9],
    [4.999999999e-10, 0],
    [0.12345678949999, 0.123456789],
    [1.0000000004999, 1],
    [0.1 + 0.2, 0.3],
    [5e-324, 0],
    [1e19 - 2048, 1e19 - 2048], // the largest double below 1e19
  ])('rounds %s half away from zero to %s', (x, q) => {
    expect(quantize9(x)).toBe(q);
  });

  it('keeps the sign when a negative rounds to zero, as Decimal does (-0.0)', () => {
    expect(Object.is(quantize9(-1e-10), -0)).toBe(true);
    expect(Object.is(quantize9(-0), -0)).toBe(true);
    expect(canonicalNumber(-4e-10)).toBe('-0.0');
  });

  it('refuses what Python refuses: non-finite values and |x| >= 1e19', () => {
    for (const x of [1e19, -1e19, 1.5e19, Infinity, -Infinity, NaN])
      expect(() => quantize9(x)).toThrow(RangeError);
  });

  it('agrees with the BigInt reference model on arbitrary doubles', () => {
    fc.assert(
      fc.property(quantizable, (x) => Object.is(quantize9(x), refQuantize(x))),
      { numRuns: 20_000 },
    );
  });

  it('rounds exact decimal ties at the 10th decimal away from zero', () => {
    fc.assert(
      fc.property(tie, (text) => {
        const x = Number(text);
        return Object.is(quantize9(x), refQuantize(x));
      }),
      { numRuns: 5_000 },
    );
  });

  it('is idempotent and moves a value by at most half a unit of 1e-9 (plus double rounding)', () => {
    fc.assert(
      fc.property(quantizable, (x) => {
        const q = quantize9(x);
        return Object.is(quantize9(q), q) && Math.abs(q - x) <= 5e-10 + Math.abs(x) * 2 ** -52;
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('against python3 (golden numbers)', () => {
  const numbers = loadGoldenFile(EXTRA_VECTORS).doc.numbers as JsonObject[];

  it('covers a few thousand doubles', () => {
    expect(numbers.length).toBeGreaterThan(2_000);
  });

  it('prints every double exactly as repr() did', () => {
    const wrong = numbers.filter((n) => formatPyFloat(Number(n.x)) !== n.x).map((n) => n.x);
    expect(wrong).toEqual([]);
  });

  it('quantizes every double exactly as Decimal.quantize did, and refuses where Python raised', () => {
    const wrong: string[] = [];
    for (const n of numbers) {
      const x = Number(n.x);
      if (n.q === null) {
        if (Number.isFinite(x) && Math.abs(x) < QUANTIZE_LIMIT)
          wrong.push(`${n.x}: python refused`);
        expect(() => canonicalNumber(x)).toThrow(RangeError);
      } else if (canonicalNumber(x) !== n.q) {
        wrong.push(`${n.x}: ${canonicalNumber(x)} != ${String(n.q)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
