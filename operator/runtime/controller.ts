import { randomUUID } from 'node:crypto';

import type { Logger } from 'pino';

import { systemClock, type Clock } from '../kube/clock.ts';
import { classifyError } from '../kube/errors.ts';
import type { RateLimiter } from '../kube/rate-limiter.ts';
import { parseObjectKey } from '../kube/types.ts';
import { WorkQueue } from '../kube/work-queue.ts';
import type { OperatorMetrics, ReconcileResult } from './metrics.ts';

export interface ReconcileRequest {
  key: string;
  namespace: string;
  name: string;
}

export interface ReconcileContext {
  /** Child logger carrying reconcileId, controller, namespace and name. */
  log: Logger;
  reconcileId: string;
}

/** What a successful reconcile may ask for: to run again after a while (polling a rollout, say). */
export interface ReconcileOutcome {
  requeueAfterMs?: number;
}

export type Reconciler = (
  req: ReconcileRequest,
  ctx: ReconcileContext,
) => Promise<ReconcileOutcome | void>;

export interface ControllerOptions {
  /** `controller` label of metrics and logs, e.g. `fractallba`. */
  name: string;
  reconcile: Reconciler;
  metrics: OperatorMetrics;
  logger: Logger;
  workers?: number;
  clock?: Clock;
  rateLimiter?: RateLimiter;
}

/**
 * Runs a reconciler over a work queue: a pool of workers, each taking one key at a time (never
 * the same key as another worker), with the outcome deciding what happens to the key:
 *
 * - success: its failure history is cleared; it returns only when an event or resync adds it;
 * - requeueAfter: it comes back after that delay;
 * - retry error: logged at error, counted, back after the per-key backoff;
 * - terminal error: logged at warn, counted, not retried (status already says why);
 * - moved on (conflict, not found, gone): logged at debug, back after the backoff, not counted
 *   as an error: the cache was behind and the next run sees the new state.
 */
export class Controller {
  readonly queue: WorkQueue;
  private readonly clock: Clock;
  private workers: Promise<void>[] = [];

  constructor(private readonly options: ControllerOptions) {
    this.clock = options.clock ?? systemClock;
    this.queue = new WorkQueue({
      clock: this.clock,
      rateLimiter: options.rateLimiter,
      onDepthChange: (depth) => options.metrics.queueDepth.set({ controller: options.name }, depth),
    });
  }

  get name(): string {
    return this.options.name;
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Starts the workers; keys queued before this wait for it. */
  run(): void {
    if (this.workers.length > 0) return;
    const count = this.options.workers ?? 2;
    for (let i = 0; i < count; i++) this.workers.push(this.work());
  }

  /** Stops handing out keys and resolves when every reconcile in flight has finished. */
  async shutdown(): Promise<void> {
    await this.queue.shutdown();
    await Promise.all(this.workers);
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.process(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async process(key: string): Promise<void> {
    const { namespace = '', name } = parseObjectKey(key);
    const reconcileId = randomUUID();
    const controller = this.options.name;
    const log = this.options.logger.child({ reconcileId, controller, namespace, name });
    const started = performance.now();
    let result: ReconcileResult = 'success';

    try {
      const outcome = await this.options.reconcile({ key, namespace, name }, { log, reconcileId });
      this.queue.forget(key);
      if (outcome?.requeueAfterMs !== undefined) {
        result = 'requeue';
        this.queue.addAfter(key, outcome.requeueAfterMs);
      }
    } catch (err) {
      const kind = classifyError(err);
      if (kind === 'moved-on') {
        result = 'moved_on';
        log.debug({ err }, 'the object changed during reconcile; requeued');
        this.queue.addRateLimited(key);
      } else if (kind === 'terminal') {
        result = 'terminal';
        log.warn({ err }, 'reconcile failed in a way retrying cannot fix; waiting for a change');
        this.queue.forget(key);
      } else {
        result = 'error';
        log.error({ err, retries: this.queue.numRequeues(key) }, 'reconcile failed; will retry');
        this.queue.addRateLimited(key);
      }
    } finally {
      const seconds = (performance.now() - started) / 1000;
      this.options.metrics.reconcileDuration.observe({ controller }, seconds);
      this.options.metrics.reconcileTotal.inc({ controller, result });
      if (result === 'error' || result === 'terminal') {
        this.options.metrics.reconcileErrors.inc({ controller });
      }
      log.debug({ result, durationMs: Math.round(seconds * 1000) }, 'reconcile finished');
    }
  }
}
