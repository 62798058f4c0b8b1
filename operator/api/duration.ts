/**
 * Durations in the custom resources: a whole number of days (`14d`), or whole hours, minutes and
 * seconds in Go's notation (`336h`, `1h30m`, `20s`). The same grammar is checked three times —
 * by the CRD's `pattern`, by CEL (through {@link celDuration}) and by {@link parseDurationSeconds}
 * — so all three are built from the constants here. Digit counts are capped so that the largest
 * value still fits Go's `time.Duration`, which CEL's `duration()` uses.
 */

/** Pattern of a duration string (a `minLength` of 2 excludes the empty string). */
export const DURATION_PATTERN = '^([0-9]{1,5}d|([0-9]{1,6}h)?([0-9]{1,7}m)?([0-9]{1,9}s)?)$';
export const DURATION_MAX_LENGTH = 24;
export const DURATION_HINT =
  'a duration such as 20s, 15m, 1h30m, 336h or 14d (whole numbers; d stands alone)';

const DURATION_RE = new RegExp(DURATION_PATTERN);
const UNIT_SECONDS = { d: 86_400, h: 3_600, m: 60, s: 1 } as const;

/** Seconds in a duration string, or undefined when it does not follow the grammar. */
export function parseDurationSeconds(text: string): number | undefined {
  if (text.length < 2 || !DURATION_RE.test(text)) return undefined;

  let total = 0;
  for (const [, digits, unit] of text.matchAll(/([0-9]+)([dhms])/g)) {
    total += Number(digits) * UNIT_SECONDS[unit as keyof typeof UNIT_SECONDS];
  }
  return total;
}

/**
 * The canonical Go form of a duration (`14d` → `336h`, `90m` → `1h30m`), which every duration
 * parser we hand it to (Go's, the backend's) reads the same way.
 */
export function canonicalDuration(text: string): string {
  const seconds = parseDurationSeconds(text);
  if (seconds === undefined) throw new Error(`not a duration: ${JSON.stringify(text)}`);
  if (seconds === 0) return '0s';

  const h = Math.floor(seconds / 3_600);
  const m = Math.floor((seconds % 3_600) / 60);
  const s = seconds % 60;
  return `${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}${s > 0 ? `${s}s` : ''}`;
}

/**
 * A CEL expression giving the whole seconds of the string expression `expr` (already checked
 * against the pattern): `Nd` is N * 86400, anything else is Go syntax that `duration()` reads.
 * Seconds rather than a CEL duration because `string(int)` has no size bound, which makes the
 * API server's cost estimate for `duration(string(n * 24) + 'h')` unbounded.
 */
export function celSeconds(expr: string): string {
  return (
    `(${expr}.endsWith('d') ? int(${expr}.substring(0, size(${expr}) - 1)) * 86400 : ` +
    `duration(${expr}).getSeconds())`
  );
}
