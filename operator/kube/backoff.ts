/** Capped exponential backoff with jitter, shared by watches, the work queue and the lease. */
export interface BackoffOptions {
  /** Delay of the first retry, before jitter. */
  initialMs: number;
  /** Upper bound of every delay, jitter included. */
  maxMs: number;
  /** Growth per attempt; 2 doubles the delay each time. */
  factor?: number;
  /**
   * Fraction of the delay that is randomised: 0.2 draws each delay from [80 %, 100 %] of the
   * exponential value, so a fleet of watchers that failed together does not retry together.
   */
  jitter?: number;
  /** Source of randomness in [0, 1); injected by tests. */
  random?: () => number;
}

/** Returns the delay before retry number `attempt` (0 for the first retry). */
export type BackoffFn = (attempt: number) => number;

export function exponentialBackoff(options: BackoffOptions): BackoffFn {
  const factor = options.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.2));
  const random = options.random ?? Math.random;

  return (attempt) => {
    const exponent = Math.max(0, Math.min(attempt, 64));
    const raw = Math.min(options.maxMs, options.initialMs * factor ** exponent);
    return Math.round(raw * (1 - jitter * random()));
  };
}
