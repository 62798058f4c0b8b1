import { pino } from 'pino';
import { describe, expect, it } from 'vitest';

import { exponentialBackoff } from '../kube/backoff.ts';
import { KubeApiError, TerminalError } from '../kube/errors.ts';
import { FakeClock, flushPromises } from '../kube/fake-clock.ts';
import { ItemBackoffLimiter } from '../kube/rate-limiter.ts';
import { Controller, type Reconciler } from './controller.ts';
import { createOperatorMetrics } from './metrics.ts';

function setup(reconcile: Reconciler) {
  const clock = new FakeClock();
  const metrics = createOperatorMetrics({ processMetrics: false });
  const controller = new Controller({
    name: 'test',
    reconcile,
    metrics,
    logger: pino({ level: 'silent' }),
    workers: 2,
    clock,
    rateLimiter: new ItemBackoffLimiter(
      exponentialBackoff({ initialMs: 1000, maxMs: 8000, jitter: 0 }),
    ),
  });
  const sample = async (name: string, labels: Record<string, string>) => {
    const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
    const value = metric?.values.find((v) =>
      Object.entries(labels).every(([k, l]) => v.labels[k] === l),
    );
    return value?.value ?? 0;
  };
  return { clock, controller, sample };
}

describe('Controller', () => {
  it('counts a successful reconcile and does not run the key again by itself', async () => {
    const keys: string[] = [];
    const { controller, clock, sample } = setup(async (req) => void keys.push(req.key));
    controller.run();

    controller.enqueue('ns/a');
    await clock.advance(60_000);

    expect(keys).toEqual(['ns/a']);
    expect(
      await sample('flk_operator_reconcile_total', { controller: 'test', result: 'success' }),
    ).toBe(1);
    expect(await sample('flk_operator_reconcile_duration_seconds', {})).toBeGreaterThanOrEqual(0);
  });

  it('retries an error after a growing backoff and counts it as an error', async () => {
    const at: number[] = [];
    const { controller, clock, sample } = setup(async () => {
      at.push(clock.now());
      throw new Error('boom');
    });
    controller.run();

    controller.enqueue('ns/a');
    await clock.advance(1000 + 2000 + 4000);

    expect(at.map((t) => t - at[0]!)).toEqual([0, 1000, 3000, 7000]);
    expect(await sample('flk_operator_reconcile_errors_total', { controller: 'test' })).toBe(4);
    expect(await sample('flk_operator_reconcile_total', { result: 'error' })).toBe(4);
  });

  it('does not retry a terminal error, but counts it', async () => {
    let runs = 0;
    const { controller, clock, sample } = setup(async () => {
      runs++;
      throw new TerminalError('InvalidSpec', 'bad spec');
    });
    controller.run();

    controller.enqueue('ns/a');
    await clock.advance(600_000);

    expect(runs).toBe(1);
    expect(await sample('flk_operator_reconcile_total', { result: 'terminal' })).toBe(1);
    expect(await sample('flk_operator_reconcile_errors_total', {})).toBe(1);
  });

  it('requeues a conflict quietly: retried, not counted as an error', async () => {
    let runs = 0;
    const { controller, clock, sample } = setup(async () => {
      if (runs++ === 0) throw new KubeApiError(409, 'the object has been modified', 'Conflict');
    });
    controller.run();

    controller.enqueue('ns/a');
    await clock.advance(1000);

    expect(runs).toBe(2);
    expect(await sample('flk_operator_reconcile_total', { result: 'moved_on' })).toBe(1);
    expect(await sample('flk_operator_reconcile_errors_total', {})).toBe(0);
  });

  it('runs a key again after the delay a reconcile asks for', async () => {
    const at: number[] = [];
    const { controller, clock } = setup(async () => {
      at.push(clock.now());
      return at.length === 1 ? { requeueAfterMs: 5000 } : {};
    });
    controller.run();

    controller.enqueue('ns/a');
    await clock.advance(10_000);

    expect(at.map((t) => t - at[0]!)).toEqual([0, 5000]);
  });

  it('reports the queue depth', async () => {
    const { controller, sample } = setup(async () => {});

    controller.enqueue('ns/a');
    controller.enqueue('ns/b');

    expect(await sample('flk_operator_queue_depth', { controller: 'test' })).toBe(2);
  });

  it('finishes the reconcile in flight on shutdown and starts no other', async () => {
    let release: () => void = () => {};
    const started: string[] = [];
    const { controller } = setup(
      (req) =>
        new Promise<void>((resolve) => {
          started.push(req.key);
          release = resolve;
        }),
    );
    controller.run();
    controller.enqueue('ns/a');
    await flushPromises();

    let done = false;
    const stopping = controller.shutdown().then(() => (done = true));
    controller.enqueue('ns/b');
    await flushPromises();
    expect(done).toBe(false);

    release();
    await stopping;
    expect(started).toEqual(['ns/a']);
  });
});
