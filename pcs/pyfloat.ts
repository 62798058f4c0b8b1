/**
 * Python float semantics the canonical payload depends on (DESIGN §2.1): `repr(float)` and
 * `float(Decimal(str(x)).quantize(Decimal("1e-9"), ROUND_HALF_UP))`.
 *
 * Both start from the shortest round-trip decimal digits of the double. JavaScript's
 * `Number.prototype.toString` is specified to produce exactly those digits (shortest, and the
 * closest to the double when several qualify), as Python's repr does, so only the layout differs.
 * The rounding is decimal string arithmetic on those digits, never `Math.round(x * 1e9)`, which
 * rounds the binary value and disagrees with Python on ties such as 0.5093149315.
 */

/** Shortest round-trip decimal form of a finite non-zero double: |x| = d.ddd × 10^exponent. */
export interface ShortestDecimal {
  negative: boolean;
  /** Significant digits, no leading or trailing zeros, e.g. `"15"` for 0.0015. */
  digits: string;
  /** Decimal exponent of the first digit, e.g. -3 for 0.0015. */
  exponent: number;
}

/** Largest magnitude Python can quantize to 1e-9 in its default 28-digit Decimal context. */
export const QUANTIZE_LIMIT = 1e19;

/** Decomposes a finite, non-zero double into its shortest round-trip decimal digits. */
export function shortestDecimal(x: number): ShortestDecimal {
  if (!Number.isFinite(x) || x === 0) {
    throw new RangeError(`shortestDecimal needs a finite non-zero number, got ${x}`);
  }
  // String(x) is "123.45", "0.00012", "1.5e-7" or "1e+21" (never a leading "+").
  const s = String(Math.abs(x));
  const e = s.indexOf('e');
  const mantissa = e < 0 ? s : s.slice(0, e);
  const exp10 = e < 0 ? 0 : Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const intLen = dot < 0 ? mantissa.length : dot;
  const all = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);

  let first = 0;
  while (all.charCodeAt(first) === 0x30) first++;
  let end = all.length;
  while (all.charCodeAt(end - 1) === 0x30) end--;
  return { negative: x < 0, digits: all.slice(first, end), exponent: intLen - 1 - first + exp10 };
}

/**
 * `repr(x)` as Python 3 prints a float: `1.0`, `-0.0`, `0.285`, `5e-05`, `1.24e-07`, `1e+16`.
 * Exponent form when the decimal exponent is below -4 or at least 16.
 */
export function formatPyFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';

  const { negative, digits, exponent } = shortestDecimal(x);
  const sign = negative ? '-' : '';
  if (exponent < -4 || exponent >= 16) {
    const mantissa = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
    const expSign = exponent < 0 ? '-' : '+';
    return `${sign}${mantissa}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;

  const intLen = exponent + 1;
  if (digits.length <= intLen) return `${sign}${digits.padEnd(intLen, '0')}.0`;
  return `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
}

/**
 * `float(Decimal(str(x)).quantize(Decimal("1e-9"), ROUND_HALF_UP))`: rounds the shortest decimal
 * form of `x` to 9 decimals, ties away from zero, and back to the nearest double. The sign
 * survives a round to zero (-1e-10 -> -0). Throws a RangeError where Python raises
 * InvalidOperation: a non-finite value, or |x| >= 1e19 (more than 28 digits at 9 decimals).
 */
export function quantize9(x: number): number {
  if (!Number.isFinite(x)) throw new RangeError(`cannot quantize a non-finite number (${x})`);
  if (Math.abs(x) >= QUANTIZE_LIMIT) {
    throw new RangeError(`cannot quantize ${formatPyFloat(x)}: magnitude must be below 1e19`);
  }
  if (x === 0) return x;

  const { negative, digits, exponent } = shortestDecimal(x);
  // Digits that stay: those down to the 9th decimal, i.e. positions 0 .. exponent + 9.
  const keep = exponent + 10;
  if (keep >= digits.length) return x; // already on the 1e-9 grid: Decimal quantize is exact

  const roundUp = keep >= 0 && digits.charCodeAt(keep) >= 0x35; // first dropped digit >= 5
  const units = BigInt(keep > 0 ? digits.slice(0, keep) : '0') + (roundUp ? 1n : 0n);
  // The digits of `units` count in steps of 1e-9; Number() rounds that decimal correctly, as
  // Python's float(Decimal) does.
  return Number(`${negative ? '-' : ''}${units}e-9`);
}
