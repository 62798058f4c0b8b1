/**
 * Durations as operators write them in env and CRDs: `500ms`, `20s`, `15m`, `72h`, `14d`, or
 * compounds such as `1h30m`. Go's time.ParseDuration has no `d`; we accept it because retention
 * and dedup TTLs are naturally counted in days.
 */
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '') throw new Error('empty duration');

  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < trimmed.length) {
    const at = PART.lastIndex;
    const m = PART.exec(trimmed);
    if (!m)
      throw new Error(
        `invalid duration "${text}" at "${trimmed.slice(at)}" (use e.g. 20s, 15m, 72h, 14d)`,
      );
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  }
  return total;
}
