import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.ts';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['20s', 20_000],
    ['15m', 900_000],
    ['72h', 259_200_000],
    ['14d', 1_209_600_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1_500],
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '10', 'h', '5 m', '3w', '-1s'])('%o is refused', (text) => {
    expect(() => parseDuration(text)).toThrow(/duration/);
  });
});
