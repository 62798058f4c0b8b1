import { describe, expect, it } from 'vitest';
import {
  DURATION_PATTERN,
  canonicalDuration,
  celSeconds,
  parseDurationSeconds,
} from './duration.ts';

describe('durations', () => {
  it.each([
    ['14d', 1_209_600],
    ['336h', 1_209_600],
    ['1h30m', 5_400],
    ['20s', 20],
    ['0s', 0],
  ])('%s is %i seconds', (text, seconds) => {
    expect(parseDurationSeconds(text)).toBe(seconds);
  });

  it.each(['', 'd', '3w', '1.5h', '14d12h', '1h 30m', '-1h', '500ms', '123456d'])(
    'refuses %j',
    (text) => {
      expect(parseDurationSeconds(text)).toBeUndefined();
    },
  );

  it('writes the canonical Go form that every parser reads the same way', () => {
    expect(canonicalDuration('14d')).toBe('336h');
    expect(canonicalDuration('90m')).toBe('1h30m');
    expect(canonicalDuration('3601s')).toBe('1h1s');
    expect(canonicalDuration('0s')).toBe('0s');
    expect(() => canonicalDuration('soon')).toThrow(/not a duration/);
  });

  it('keeps the largest value inside Go time.Duration (about 2,562,047h), which CEL uses', () => {
    const largest = ['99999d', '999999h9999999m999999999s'];
    for (const text of largest) {
      expect(new RegExp(DURATION_PATTERN).test(text)).toBe(true);
      expect(parseDurationSeconds(text)! / 3_600).toBeLessThan(2_562_047);
    }
  });

  it('converts to seconds in CEL without string(int), whose size the cost estimator cannot bound', () => {
    expect(celSeconds('self')).not.toMatch(/(^|[^a-z])string\(/);
    expect(celSeconds('self')).toContain('getSeconds()');
  });
});
