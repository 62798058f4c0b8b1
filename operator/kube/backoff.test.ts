import { describe, expect, it } from 'vitest';

import { exponentialBackoff } from './backoff.ts';

describe('exponentialBackoff', () => {
  it('doubles from the initial delay and stops at the cap', () => {
    const delay = exponentialBackoff({ initialMs: 100, maxMs: 1000, jitter: 0 });

    expect([0, 1, 2, 3, 4, 5, 50].map(delay)).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('draws jittered delays below the exponential value and never above the cap', () => {
    const low = exponentialBackoff({
      initialMs: 100,
      maxMs: 1000,
      jitter: 0.5,
      random: () => 0.999,
    });
    const high = exponentialBackoff({ initialMs: 100, maxMs: 1000, jitter: 0.5, random: () => 0 });

    expect(low(0)).toBe(50);
    expect(high(0)).toBe(100);
    expect(high(10)).toBe(1000);
    expect(low(10)).toBeGreaterThanOrEqual(500);
  });

  it('does not overflow to Infinity after very many attempts', () => {
    const delay = exponentialBackoff({ initialMs: 5, maxMs: 60_000, jitter: 0 });

    expect(delay(10_000)).toBe(60_000);
  });
});
