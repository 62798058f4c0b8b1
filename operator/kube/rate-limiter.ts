import { exponentialBackoff, type BackoffFn } from './backoff.ts';
import { systemClock, type Clock } from './clock.ts';

/** Decides how long a key waits before it is retried after a failure. */
export interface RateLimiter {
  /** The delay before `key` may run again; counts one more failure of it. */
  when(key: string): number;
  /** Clears the failure history of `key` (it succeeded). */
  forget(key: string): void;
  /** Consecutive failures recorded for `key`. */
  failures(key: string): number;
}

/** Per-key exponential backoff: each consecutive failure of a key doubles its delay, to a cap. */
export class ItemBackoffLimiter implements RateLimiter {
  private readonly attempts = new Map<string, number>();
  private readonly backoff: BackoffFn;

  constructor(backoff: BackoffFn = exponentialBackoff({ initialMs: 5, maxMs: 5 * 60_000 })) {
    this.backoff = backoff;
  }

  when(key: string): number {
    const attempt = this.attempts.get(key) ?? 0;
    this.attempts.set(key, attempt + 1);
    return this.backoff(attempt);
  }

  forget(key: string): void {
    this.attempts.delete(key);
  }

  failures(key: string): number {
    return this.attempts.get(key) ?? 0;
  }
}

export interface TokenBucketOptions {
  /** Sustained retries per second across all keys. */
  ratePerSecond: number;
  /** Retries allowed at once before the rate applies. */
  burst: number;
  clock?: Clock;
}

/**
 * An overall budget for retries, so many keys failing at once (the API server is down, say)
 * cannot turn into a retry storm. Each reservation takes a token; when none is left the caller
 * is told how long until its token will have been refilled.
 */
export class TokenBucketLimiter implements RateLimiter {
  private tokens: number;
  private last: number;
  private readonly clock: Clock;

  constructor(private readonly options: TokenBucketOptions) {
    this.clock = options.clock ?? systemClock;
    this.tokens = options.burst;
    this.last = this.clock.now();
  }

  when(): number {
    const now = this.clock.now();
    const refill = ((now - this.last) / 1000) * this.options.ratePerSecond;
    this.tokens = Math.min(this.options.burst, this.tokens + refill);
    this.last = now;

    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    return Math.ceil((-this.tokens / this.options.ratePerSecond) * 1000);
  }

  forget(): void {}

  failures(): number {
    return 0;
  }
}

/** The longest delay any of the given limiters asks for; failures come from the first. */
export class MaxOfLimiter implements RateLimiter {
  private readonly limiters: RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }

  when(key: string): number {
    return Math.max(0, ...this.limiters.map((l) => l.when(key)));
  }

  forget(key: string): void {
    for (const l of this.limiters) l.forget(key);
  }

  failures(key: string): number {
    return Math.max(0, ...this.limiters.map((l) => l.failures(key)));
  }
}

/** Per-key backoff of 5 ms doubling to 5 minutes, inside an overall 10/s budget with a burst of 100. */
export function defaultControllerRateLimiter(clock: Clock = systemClock): RateLimiter {
  return new MaxOfLimiter(
    new ItemBackoffLimiter(exponentialBackoff({ initialMs: 5, maxMs: 5 * 60_000, jitter: 0.1 })),
    new TokenBucketLimiter({ ratePerSecond: 10, burst: 100, clock }),
  );
}
