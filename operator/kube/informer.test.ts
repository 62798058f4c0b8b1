import { describe, expect, it } from 'vitest';

import { exponentialBackoff } from './backoff.ts';
import { FakeClock, flushPromises } from './fake-clock.ts';
import { Informer, type WatchLike } from './informer.ts';
import type { KubeList, KubeObject } from './types.ts';

type Params = Record<string, string | number | boolean | undefined>;

interface FakeRequest {
  params: Params;
  send(type: string, obj: unknown): void;
  end(err?: unknown): void;
  aborted: boolean;
}

/** Stands in for client-node's Watch: records each request and lets the test drive it. */
class FakeWatch implements WatchLike {
  readonly requests: FakeRequest[] = [];
  failNextWith: unknown[] = [];
  /** When set, the next request gets no response until `release()` is called. */
  hangNext = false;
  private hung: Array<() => void> = [];

  release(): void {
    for (const resolve of this.hung.splice(0)) resolve();
  }

  async watch(
    _path: string,
    params: Params,
    cb: (phase: string, obj: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<{ abort(): void }> {
    let ended = false;
    const end = (err?: unknown) => {
      if (ended) return;
      ended = true;
      done(err ?? null);
    };
    const request: FakeRequest = {
      params,
      aborted: false,
      send: (type, obj) => !ended && cb(type, obj),
      end,
    };
    this.requests.push(request);

    const failure = this.failNextWith.shift();
    if (failure) setImmediate(() => end(failure));
    if (this.hangNext) {
      this.hangNext = false;
      await new Promise<void>((resolve) => this.hung.push(resolve));
    }
    return {
      abort: () => {
        request.aborted = true;
        // Like the real Watch, aborting makes the request end with an AbortError.
        setImmediate(() => end(Object.assign(new Error('aborted'), { name: 'AbortError' })));
      },
    };
  }

  open(): FakeRequest[] {
    return this.requests.filter((r) => !r.aborted && !(r as { ended?: boolean }).ended);
  }

  last(): FakeRequest {
    const request = this.requests.at(-1);
    if (!request) throw new Error('no watch request yet');
    return request;
  }
}

function pod(name: string, resourceVersion: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns', resourceVersion } };
}

function setup(lists: Array<KubeList | Error>, onFailure?: (err: unknown) => void) {
  const clock = new FakeClock();
  const watch = new FakeWatch();
  const listCalls: number[] = [];
  const events: string[] = [];
  let call = 0;
  const informer = new Informer<KubeObject>({
    name: 'pods',
    path: '/api/v1/namespaces/ns/pods',
    watch,
    clock,
    backoff: exponentialBackoff({ initialMs: 1000, maxMs: 8000, jitter: 0 }),
    onFailure,
    list: async () => {
      listCalls.push(clock.now());
      const next = lists[Math.min(call++, lists.length - 1)] as KubeList | Error;
      if (next instanceof Error) throw next;
      return structuredClone(next);
    },
  });
  informer.on('add', (o) => events.push(`add ${o.metadata.name}`));
  informer.on('update', (o) => events.push(`update ${o.metadata.name}`));
  informer.on('delete', (o) => events.push(`delete ${o.metadata.name}`));
  return { clock, watch, listCalls, events, informer };
}

const list1: KubeList = {
  metadata: { resourceVersion: '10' },
  items: [pod('a', '5'), pod('b', '6')],
};

describe('Informer', () => {
  it('lists, caches, then watches from the list resource version', async () => {
    const { informer, watch, events } = setup([list1]);

    informer.start();
    await informer.waitForSync();
    await flushPromises();

    expect(informer.hasSynced()).toBe(true);
    expect(informer.list().map((p) => p.metadata.name)).toEqual(['a', 'b']);
    expect(events).toEqual(['add a', 'add b']);
    expect(watch.requests).toHaveLength(1);
    expect(watch.last().params).toMatchObject({ resourceVersion: '10', allowWatchBookmarks: true });
    expect(Number(watch.last().params.timeoutSeconds)).toBeGreaterThanOrEqual(300);
  });

  it('applies watch events to the cache and tells the handlers', async () => {
    const { informer, watch, events } = setup([list1]);
    informer.start();
    await informer.waitForSync();
    await flushPromises();

    watch.last().send('MODIFIED', pod('a', '11'));
    watch.last().send('DELETED', pod('b', '12'));
    watch.last().send('ADDED', pod('c', '13'));

    expect(events.slice(2)).toEqual(['update a', 'delete b', 'add c']);
    expect(informer.get('a', 'ns')?.metadata.resourceVersion).toBe('11');
    expect(informer.get('b', 'ns')).toBeUndefined();
  });

  it('relists after a 410 Gone event and reports objects that vanished as deleted', async () => {
    const list2: KubeList = { metadata: { resourceVersion: '50' }, items: [pod('a', '40')] };
    const { informer, watch, events, listCalls, clock } = setup([list1, list2]);
    informer.start();
    await informer.waitForSync();
    await flushPromises();

    watch.last().send('ERROR', { kind: 'Status', code: 410, reason: 'Expired' });
    watch.last().end();
    await clock.advance(1000);

    expect(listCalls).toHaveLength(2);
    expect(events).toEqual(['add a', 'add b', 'delete b', 'update a']);
    expect(watch.last().params.resourceVersion).toBe('50');
    expect(informer.stats().activeWatches).toBe(1);
  });

  it('relists when the watch request itself answers 410', async () => {
    const { informer, watch, listCalls, clock } = setup([list1, list1]);
    informer.start();
    await informer.waitForSync();
    await flushPromises();

    await clock.advance(5000);
    watch.last().end(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await flushPromises();

    expect(listCalls).toHaveLength(2);
    expect(watch.requests).toHaveLength(2);
  });

  it('reconnects after failures with growing, capped delays and never holds two watches', async () => {
    const { informer, watch, clock } = setup([list1]);
    informer.start();
    await informer.waitForSync();
    await flushPromises();
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    watch.failNextWith = [refused, refused, refused, refused, refused];

    const openedAt: number[] = [];
    watch.last().end(refused);
    for (let i = 0; i < 100 && openedAt.length < 6; i++) {
      const before = watch.requests.length;
      await clock.advance(500);
      if (watch.requests.length > before) openedAt.push(clock.now());
    }

    const gaps = openedAt.slice(1).map((t, i) => t - (openedAt[i] as number));
    expect(gaps).toEqual([2000, 4000, 8000, 8000, 8000]);
    expect(informer.stats().maxActiveWatches).toBe(1);
    expect(informer.stats().activeWatches).toBe(1);
  });

  it('resets the backoff once a watch delivers events again', async () => {
    const { informer, watch, clock } = setup([list1]);
    informer.start();
    await informer.waitForSync();
    await flushPromises();
    const refused = new Error('connect ECONNREFUSED');

    watch.failNextWith = [refused, refused];
    watch.last().end(refused);
    await clock.advance(1000 + 2000 + 4000);
    expect(watch.requests).toHaveLength(4);

    watch.last().send('MODIFIED', pod('a', '20'));
    const before = clock.now();
    watch.last().end(refused);
    while (watch.requests.length === 4) await clock.advance(100);

    expect(clock.now() - before).toBe(1000);
  });

  it('tells the failure hook of every failure it backs off from (a deleted CRD: 404)', async () => {
    const seen: unknown[] = [];
    const gone = Object.assign(new Error('Not Found'), { statusCode: 404 });
    const { informer, watch, clock, listCalls } = setup([list1], (err) => {
      seen.push(err);
      throw new Error('a hook that throws changes nothing');
    });
    informer.start();
    await informer.waitForSync();
    await flushPromises();

    watch.failNextWith = [gone];
    watch.last().end(gone);
    await flushPromises();
    expect(seen).toEqual([gone]);

    // The restart watches again from the old resource version, without a list, and fails again:
    // on its own the informer would keep what it had cached for as long as the kind is gone.
    await clock.advance(1000);
    expect(seen).toEqual([gone, gone]);
    expect(listCalls).toHaveLength(1);
    await clock.advance(2000);
    expect(watch.open()).toHaveLength(1);
  });

  it('retries a failed list with backoff and opens no watch until a list succeeds', async () => {
    const { informer, watch, listCalls, clock } = setup([
      new Error('503'),
      new Error('503'),
      list1,
    ]);

    informer.start();
    await flushPromises();
    expect(informer.hasSynced()).toBe(false);
    expect(watch.requests).toHaveLength(0);

    await clock.advance(1000 + 2000);
    await informer.waitForSync();
    expect(listCalls.map((t) => t - (listCalls[0] as number))).toEqual([0, 1000, 3000]);
    expect(watch.requests).toHaveLength(1);
  });

  it('backs off instead of spinning when the server ends every watch at once', async () => {
    const { informer, watch, clock } = setup([list1]);
    informer.start();
    await informer.waitForSync();
    await flushPromises();

    const openedAt: number[] = [];
    for (let i = 0; i < 200 && openedAt.length < 4; i++) {
      const before = watch.requests.length;
      watch.last().end();
      await clock.advance(250);
      if (watch.requests.length > before) openedAt.push(clock.now());
    }

    const gaps = openedAt.slice(1).map((t, i) => t - (openedAt[i] as number));
    expect(gaps).toEqual([2000, 4000, 8000]);
    expect(informer.stats().maxActiveWatches).toBe(1);
  });

  it('keeps no watch and schedules nothing after stop, even when the abort ends in an error', async () => {
    const { informer, watch, clock } = setup([list1]);
    informer.start();
    await informer.waitForSync();
    await flushPromises();

    await informer.stop();
    await flushPromises();
    await clock.advance(60_000);

    expect(watch.requests).toHaveLength(1);
    expect(watch.last().aborted).toBe(true);
    expect(informer.stats().activeWatches).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('cancels a pending reconnect on stop', async () => {
    const { informer, watch, clock } = setup([list1]);
    informer.start();
    await informer.waitForSync();
    await flushPromises();

    watch.last().end(new Error('reset'));
    await flushPromises();
    expect(clock.pending()).toBe(1);

    await informer.stop();
    await clock.advance(60_000);

    expect(watch.requests).toHaveLength(1);
    expect(clock.pending()).toBe(0);
  });

  it('gives up on a watch request that never opens, reconnects, and ends the late one', async () => {
    const { informer, watch, clock } = setup([list1]);
    watch.hangNext = true;
    informer.start();
    await informer.waitForSync();
    await flushPromises();
    const hung = watch.last();

    await clock.advance(30_000 + 1000);
    expect(watch.requests).toHaveLength(2);

    watch.release();
    await flushPromises();
    expect(hung.aborted).toBe(true);
    expect(watch.last().aborted).toBe(false);
    expect(informer.stats().activeWatches).toBe(1);

    await informer.stop();
    expect(watch.last().aborted).toBe(true);
  });

  it('survives a handler that throws', async () => {
    const { informer, watch, events } = setup([list1]);
    informer.on('update', () => {
      throw new Error('handler bug');
    });
    informer.start();
    await informer.waitForSync();
    await flushPromises();

    watch.last().send('MODIFIED', pod('a', '11'));
    watch.last().send('MODIFIED', pod('b', '12'));

    expect(events.slice(2)).toEqual(['update a', 'update b']);
    expect(informer.get('b', 'ns')?.metadata.resourceVersion).toBe('12');
  });

  it('runs the transform on listed and watched objects before caching them', async () => {
    const clock = new FakeClock();
    const watch = new FakeWatch();
    const informer = new Informer<KubeObject>({
      name: 'secrets',
      path: '/api/v1/namespaces/ns/secrets',
      watch,
      clock,
      list: async () => ({
        metadata: { resourceVersion: '1' },
        items: [{ ...pod('a', '1'), data: { k: 'secret' } }],
      }),
      transform: (o) => ({ ...o, data: undefined }),
    });
    informer.start();
    await informer.waitForSync();
    await flushPromises();

    watch.last().send('ADDED', { ...pod('b', '2'), data: { k: 'secret' } });

    expect(informer.get('a', 'ns')?.data).toBeUndefined();
    expect(informer.get('b', 'ns')?.data).toBeUndefined();
  });
});
