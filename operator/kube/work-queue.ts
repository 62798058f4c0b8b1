import { systemClock, type Clock, type TimerHandle } from './clock.ts';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.ts';

export interface WorkQueueOptions {
  clock?: Clock;
  rateLimiter?: RateLimiter;
  /** Called with the number of keys waiting to be handed out, whenever it changes. */
  onDepthChange?: (depth: number) => void;
}

/**
 * A work queue of object keys with the guarantees a level-based controller needs:
 *
 * - a key waiting in the queue is held once, however often it is added;
 * - a key is handed to one worker at a time: added while it is being processed, it is queued
 *   again only after {@link WorkQueue.done};
 * - failed keys come back after a per-key exponential backoff inside an overall budget
 *   ({@link WorkQueue.addRateLimited}), and a reconcile can ask to run again later
 *   ({@link WorkQueue.addAfter});
 * - {@link WorkQueue.resyncEvery} adds every known key on a period, so a missed event heals;
 * - {@link WorkQueue.shutdown} stops handing out keys and resolves once every key already handed
 *   out is done. Keys still waiting are dropped: the next start lists every object again.
 */
export class WorkQueue {
  private readonly clock: Clock;
  private readonly rateLimiter: RateLimiter;
  private readonly onDepthChange: (depth: number) => void;

  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly addedWhileProcessing = new Set<string>();
  private readonly delayed = new Map<string, { dueAt: number; handle: TimerHandle }>();
  private readonly waiters: Array<(key: string | undefined) => void> = [];
  private drainWaiters: Array<() => void> = [];
  private resyncHandle: TimerHandle | undefined;
  private stopping = false;

  constructor(options: WorkQueueOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter(this.clock);
    this.onDepthChange = options.onDepthChange ?? (() => {});
  }

  /** Keys waiting to be handed out (not counting delayed ones or those in progress). */
  len(): number {
    return this.queue.length;
  }

  isShuttingDown(): boolean {
    return this.stopping;
  }

  add(key: string): void {
    if (this.stopping) return;
    if (this.processing.has(key)) {
      this.addedWhileProcessing.add(key);
      return;
    }
    if (this.queued.has(key)) return;

    this.queued.add(key);
    this.queue.push(key);
    this.dispatch();
  }

  /** Adds `key` after `delayMs`; when it is already waiting for a delay, the earlier one wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopping) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }

    const dueAt = this.clock.now() + delayMs;
    const existing = this.delayed.get(key);
    if (existing && existing.dueAt <= dueAt) return;
    if (existing) this.clock.clearTimeout(existing.handle);

    const handle = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.delayed.set(key, { dueAt, handle });
  }

  /** Adds `key` after the delay its failure history and the overall retry budget ask for. */
  addRateLimited(key: string): void {
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** Clears the failure history of `key`, so its next failure starts the backoff again. */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.rateLimiter.failures(key);
  }

  /** The next key to process, or `undefined` once the queue is shutting down. */
  get(): Promise<string | undefined> {
    if (this.stopping) return Promise.resolve(undefined);

    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.dispatch();
    });
  }

  /** Marks `key` as processed; if it was added meanwhile, it is queued again now. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.addedWhileProcessing.delete(key)) this.add(key);

    if (this.processing.size === 0 && this.stopping) {
      for (const resolve of this.drainWaiters) resolve();
      this.drainWaiters = [];
    }
  }

  /** Adds every key `keys()` returns, every `intervalMs`, until shutdown. */
  resyncEvery(intervalMs: number, keys: () => Iterable<string>): void {
    if (this.resyncHandle) this.clock.clearTimeout(this.resyncHandle);

    const tick = (): void => {
      if (this.stopping) return;
      for (const key of keys()) this.add(key);
      this.resyncHandle = this.clock.setTimeout(tick, intervalMs);
    };
    this.resyncHandle = this.clock.setTimeout(tick, intervalMs);
  }

  /** Stops handing out keys and resolves when every key handed out so far is done. */
  shutdown(): Promise<void> {
    this.stopping = true;
    if (this.resyncHandle) this.clock.clearTimeout(this.resyncHandle);
    for (const { handle } of this.delayed.values()) this.clock.clearTimeout(handle);
    this.delayed.clear();
    this.queue.length = 0;
    this.queued.clear();
    this.addedWhileProcessing.clear();
    for (const resolve of this.waiters.splice(0)) resolve(undefined);
    this.onDepthChange(0);

    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private dispatch(): void {
    while (this.waiters.length > 0 && this.queue.length > 0) {
      const key = this.queue.shift() as string;
      const resolve = this.waiters.shift() as (key: string | undefined) => void;
      this.queued.delete(key);
      this.processing.add(key);
      resolve(key);
    }
    this.onDepthChange(this.queue.length);
  }
}
