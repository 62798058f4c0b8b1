import { describe, expect, it } from 'vitest';

import { exponentialBackoff } from './backoff.ts';
import { FakeClock, flushPromises } from './fake-clock.ts';
import { ItemBackoffLimiter, MaxOfLimiter, TokenBucketLimiter } from './rate-limiter.ts';
import { WorkQueue } from './work-queue.ts';

/** Takes every key the queue hands out right now, without waiting for more. */
async function drainNow(queue: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (queue.len() > 0) {
    const key = await queue.get();
    if (key === undefined) break;
    keys.push(key);
  }
  return keys;
}

function itemOnlyQueue(clock: FakeClock): WorkQueue {
  const limiter = new ItemBackoffLimiter(
    exponentialBackoff({ initialMs: 100, maxMs: 1000, jitter: 0 }),
  );
  return new WorkQueue({ clock, rateLimiter: limiter });
}

describe('WorkQueue', () => {
  it('holds a key added many times once', async () => {
    const queue = new WorkQueue({ clock: new FakeClock() });

    queue.add('ns/a');
    queue.add('ns/a');
    queue.add('ns/b');
    queue.add('ns/a');

    expect(queue.len()).toBe(2);
    expect(await drainNow(queue)).toEqual(['ns/a', 'ns/b']);
  });

  it('never hands the same key to two workers at once', async () => {
    const queue = new WorkQueue({ clock: new FakeClock() });
    queue.add('ns/a');
    const first = await queue.get();

    queue.add('ns/a');
    let second: string | undefined;
    void queue.get().then((key) => (second = key));
    await flushPromises();

    expect(first).toBe('ns/a');
    expect(second).toBeUndefined();

    queue.done('ns/a');
    await flushPromises();
    expect(second).toBe('ns/a');
  });

  it('does not requeue a key after done when nobody added it meanwhile', async () => {
    const queue = new WorkQueue({ clock: new FakeClock() });
    queue.add('ns/a');
    await queue.get();

    queue.done('ns/a');

    expect(queue.len()).toBe(0);
  });

  it('hands different keys to concurrent workers', async () => {
    const queue = new WorkQueue({ clock: new FakeClock() });
    const got = [queue.get(), queue.get()];

    queue.add('ns/a');
    queue.add('ns/b');

    expect(await Promise.all(got)).toEqual(['ns/a', 'ns/b']);
  });

  it('delays a requeue and lets the earlier of two delays win', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ clock });

    queue.addAfter('ns/a', 5000);
    queue.addAfter('ns/a', 1000);
    await clock.advance(999);
    expect(queue.len()).toBe(0);

    await clock.advance(1);
    expect(queue.len()).toBe(1);

    await clock.advance(10_000);
    expect(queue.len()).toBe(1);
  });

  it('backs a failing key off exponentially up to the cap, and forget resets it', async () => {
    const clock = new FakeClock();
    const queue = itemOnlyQueue(clock);
    const delays: number[] = [];

    for (let i = 0; i < 6; i++) {
      const start = clock.now();
      queue.addRateLimited('ns/a');
      while (queue.len() === 0) await clock.advance(10);
      delays.push(clock.now() - start);
      await drainNow(queue);
      queue.done('ns/a');
    }
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(queue.numRequeues('ns/a')).toBe(6);

    queue.forget('ns/a');
    expect(queue.numRequeues('ns/a')).toBe(0);
  });

  it('spaces retries of many keys by the overall token bucket once its burst is spent', () => {
    const clock = new FakeClock();
    const limiter = new MaxOfLimiter(
      new ItemBackoffLimiter(exponentialBackoff({ initialMs: 1, maxMs: 1, jitter: 0 })),
      new TokenBucketLimiter({ ratePerSecond: 10, burst: 2, clock }),
    );

    const delays = ['a', 'b', 'c', 'd', 'e'].map((key) => limiter.when(key));

    expect(delays).toEqual([1, 1, 100, 200, 300]);
  });

  it('adds every known key on each resync period', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ clock });
    queue.resyncEvery(60_000, () => ['ns/a', 'ns/b']);

    await clock.advance(59_999);
    expect(queue.len()).toBe(0);

    await clock.advance(1);
    expect(await drainNow(queue)).toEqual(['ns/a', 'ns/b']);
    queue.done('ns/a');
    queue.done('ns/b');

    await clock.advance(60_000);
    expect(queue.len()).toBe(2);
  });

  it('reports its depth as keys come and go', async () => {
    const depths: number[] = [];
    const queue = new WorkQueue({ clock: new FakeClock(), onDepthChange: (d) => depths.push(d) });

    queue.add('ns/a');
    queue.add('ns/b');
    await queue.get();

    expect(depths).toEqual([1, 2, 1]);
  });

  describe('shutdown', () => {
    it('waits for the key in flight, then resolves', async () => {
      const queue = new WorkQueue({ clock: new FakeClock() });
      queue.add('ns/a');
      const key = await queue.get();
      let drained = false;

      const stopping = queue.shutdown().then(() => (drained = true));
      await flushPromises();
      expect(drained).toBe(false);

      queue.done(key as string);
      await stopping;
      expect(drained).toBe(true);
    });

    it('releases idle workers, drops waiting and delayed keys, and ignores later adds', async () => {
      const clock = new FakeClock();
      const queue = new WorkQueue({ clock });
      const idle = queue.get();
      await flushPromises();
      queue.addAfter('ns/late', 1000);

      await queue.shutdown();
      queue.add('ns/after');

      expect(await idle).toBeUndefined();
      expect(await queue.get()).toBeUndefined();
      expect(clock.pending()).toBe(0);
      expect(queue.len()).toBe(0);
    });

    it('stops the resync timer', async () => {
      const clock = new FakeClock();
      const queue = new WorkQueue({ clock });
      queue.resyncEvery(1000, () => ['ns/a']);

      await queue.shutdown();
      await clock.advance(5000);

      expect(queue.len()).toBe(0);
      expect(clock.pending()).toBe(0);
    });
  });
});
