import { describe, expect, it } from 'vitest';
import { TokenBucket } from './rate-limit.ts';

describe('TokenBucket', () => {
  it('allows the burst, then refuses with a Retry-After, then refills at the rate', () => {
    let now = 0;
    const b = new TokenBucket(2, 3, () => now);
    expect([b.take().ok, b.take().ok, b.take().ok]).toEqual([true, true, true]);
    const refused = b.take();
    expect(refused).toEqual({ ok: false, retryAfterSeconds: 1 });
    now += 500;
    expect(b.take().ok).toBe(true);
    expect(b.take().ok).toBe(false);
  });

  it('never holds more than the burst after a long idle time', () => {
    let now = 0;
    const b = new TokenBucket(100, 2, () => now);
    now += 60_000;
    expect([b.take().ok, b.take().ok, b.take().ok]).toEqual([true, true, false]);
  });

  it('a slow rate gives a Retry-After of several seconds', () => {
    const now = 0;
    const b = new TokenBucket(0.2, 1, () => now);
    b.take();
    expect(b.take()).toEqual({ ok: false, retryAfterSeconds: 5 });
  });
});
