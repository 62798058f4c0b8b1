import {
  ListWatch,
  type KubernetesListObject,
  type KubernetesObject,
  type Watch,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';

import { exponentialBackoff, type BackoffFn } from './backoff.ts';
import { systemClock, type Clock, type TimerHandle } from './clock.ts';
import { statusCodeOf } from './errors.ts';
import type { KubeList, KubeObject } from './types.ts';

type WatchParams = Record<string, string | number | boolean | undefined>;
type WatchCallback = (phase: string, apiObj: unknown, watchObj?: unknown) => void;
type DoneCallback = (err: unknown) => void;

/** The one method of client-node's `Watch` that ListWatch uses; tests pass a fake. */
export interface WatchLike {
  watch(
    path: string,
    params: WatchParams,
    cb: WatchCallback,
    done: DoneCallback,
  ): Promise<{ abort(): void }>;
}

export type InformerEvent = 'add' | 'update' | 'delete';
export type InformerHandler<T> = (obj: T) => void;

export interface InformerOptions<T extends KubeObject> {
  /** Name for logs and errors, for example `apps/v1 Deployment in ns-a`. */
  name: string;
  /** Collection path, for example `/apis/apps/v1/namespaces/ns-a/deployments`. */
  path: string;
  list: () => Promise<KubeList<T>>;
  watch: WatchLike;
  labelSelector?: string;
  /** Applied to every listed and watched object before it is cached (strip what is not needed). */
  transform?: (obj: T) => T;
  clock?: Clock;
  /** Delay before reconnect attempt n after a failure. */
  backoff?: BackoffFn;
  /** Server-side lifetime of one watch request; each is jittered up to twice this. */
  watchTimeoutSeconds?: number;
  /** A watch that ends sooner than this without delivering anything counts as a failure. */
  minWatchMs?: number;
  /** A watch request still waiting for its response after this long is given up and retried. */
  connectTimeoutMs?: number;
  logger?: Logger;
  random?: () => number;
  /**
   * Told of every failure the informer backs off from (a list or watch that failed, a watch that
   * ended at once). For callers that must react to a kind disappearing (a CRD deleted: 404).
   */
  onFailure?: (err: unknown) => void;
}

/** Counters the tests (and debug logs) read to prove the informer does not multiply watches. */
export interface InformerStats {
  lists: number;
  watchesOpened: number;
  activeWatches: number;
  maxActiveWatches: number;
  reconnects: number;
}

/**
 * A cache of one kind of object kept current by list + watch, built on client-node's ListWatch
 * and hardened where ListWatch leaves it to the caller:
 *
 * - ListWatch stops for good on any error but 410; this restarts it after a capped exponential
 *   backoff with jitter, and resets the backoff once a list succeeds or an event arrives.
 * - 410 Gone (as an HTTP status or as an ERROR event in the stream) clears the resource version,
 *   so the restart relists; objects that vanished meanwhile are reported as deleted.
 * - Exactly one watch request is current at any time: each request carries a generation, callbacks
 *   of a superseded or stopped one are dropped, and only one restart timer can be pending.
 * - A watch the server closes at once without sending anything is treated as a failure, so a
 *   misbehaving server cannot drive a hot reconnect loop; every watch asks the server to end it
 *   after a jittered timeout, so a connection never goes stale silently.
 * - An event handler that throws is logged; it cannot break the stream.
 */
export class Informer<T extends KubeObject> {
  private readonly clock: Clock;
  private readonly backoff: BackoffFn;
  private readonly random: () => number;
  private readonly handlers: Record<InformerEvent, InformerHandler<T>[]> = {
    add: [],
    update: [],
    delete: [],
  };
  private readonly syncWaiters: Array<() => void> = [];
  // ListWatch is typed for client-node's model classes (Date timestamps); the objects it holds here
  // are the plain JSON the server sent, so it is used untyped and read back as T.
  private readonly listWatch: ListWatch<KubernetesObject>;
  private readonly statsValue: InformerStats = {
    lists: 0,
    watchesOpened: 0,
    activeWatches: 0,
    maxActiveWatches: 0,
    reconnects: 0,
  };

  private generation = 0;
  /**
   * The open watch request. ListWatch keeps its own reference, but assigns it only after the
   * request opens, so a request that opened late can overwrite the newer one there; stop() ends
   * this one itself.
   */
  private current: { id: number; request: { abort(): void } } | undefined;
  private failures = 0;
  private restartTimer: TimerHandle | undefined;
  private running = false;
  private synced = false;

  constructor(private readonly options: InformerOptions<T>) {
    this.clock = options.clock ?? systemClock;
    this.backoff = options.backoff ?? exponentialBackoff({ initialMs: 500, maxMs: 30_000 });
    this.random = options.random ?? Math.random;

    const guardedWatch = { watch: this.openWatch.bind(this) } as unknown as Watch;
    this.listWatch = new ListWatch<KubernetesObject>(
      options.path,
      guardedWatch,
      async () => (await this.listOnce()) as unknown as KubernetesListObject<KubernetesObject>,
      false,
      options.labelSelector,
    );
    for (const event of ['add', 'update', 'delete'] as const) {
      this.listWatch.on(event, (obj) => this.emit(event, obj as unknown as T));
    }
    this.listWatch.on('error', (err) => this.onFailure(err));
  }

  on(event: InformerEvent, handler: InformerHandler<T>): void {
    this.handlers[event].push(handler);
  }

  /** Starts listing and watching; returns at once. See {@link Informer.waitForSync}. */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.listWatch.start();
  }

  /** Ends the current watch and cancels any pending reconnect. */
  async stop(): Promise<void> {
    this.running = false;
    this.generation++;
    if (this.restartTimer) this.clock.clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    await this.listWatch.stop();
    this.current?.request.abort();
    this.current = undefined;
    for (const resolve of this.syncWaiters.splice(0)) resolve();
  }

  /** True once the first list has been loaded into the cache. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first list is in the cache (or the informer was stopped). */
  waitForSync(): Promise<void> {
    if (this.synced || !this.running) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  get(name: string, namespace?: string): T | undefined {
    return this.listWatch.get(name, namespace) as T | undefined;
  }

  list(namespace?: string): readonly T[] {
    return this.listWatch.list(namespace) as unknown as readonly T[];
  }

  stats(): Readonly<InformerStats> {
    return { ...this.statsValue };
  }

  private async listOnce(): Promise<KubeList<T>> {
    this.statsValue.lists++;
    const list = await this.options.list();
    const transform = this.options.transform;
    return transform ? { ...list, items: list.items.map((item) => transform(item)) } : list;
  }

  /** Called by ListWatch for each watch request; ListWatch only calls it after a list is applied. */
  private async openWatch(
    path: string,
    params: WatchParams,
    cb: WatchCallback,
    done: DoneCallback,
  ): Promise<{ abort(): void }> {
    const id = ++this.generation;
    const openedAt = this.clock.now();
    let delivered = 0;
    let finished = false;
    this.markSynced();

    this.statsValue.watchesOpened++;
    this.statsValue.activeWatches++;
    this.statsValue.maxActiveWatches = Math.max(
      this.statsValue.maxActiveWatches,
      this.statsValue.activeWatches,
    );

    const onEvent: WatchCallback = (phase, obj, raw) => {
      if (id !== this.generation || finished) return;
      if (phase !== 'ERROR') {
        delivered++;
        this.failures = 0;
      }
      const transform = this.options.transform;
      const isObject = phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED';
      cb(phase, isObject && transform ? transform(obj as T) : obj, raw);
    };
    const onDone: DoneCallback = (err) => {
      if (finished) return;
      finished = true;
      if (this.current?.id === id) this.current = undefined;
      this.statsValue.activeWatches--;
      if (id !== this.generation || !this.running) return;

      const productive =
        delivered > 0 || this.clock.now() - openedAt >= (this.options.minWatchMs ?? 1000);
      const restartsAtOnce = !err || statusCodeOf(err) === 410;
      if (productive || !restartsAtOnce) {
        done(err);
        return;
      }
      // ListWatch would reconnect (or relist, after 410) at once; a server that keeps ending watches
      // straight away would make that a hot loop, so hand the end over after a backoff instead.
      this.scheduleRestart(
        err ?? new Error('watch closed by the server right after it opened'),
        () => done(err),
      );
    };

    const timeout = this.options.watchTimeoutSeconds ?? 300;
    const watchParams: WatchParams = {
      ...params,
      allowWatchBookmarks: true,
      timeoutSeconds: Math.round(timeout * (1 + this.random())),
    };
    // A request that never gets its response headers (a server that accepts and hangs) would
    // hold the informer forever: give up on it after a while and reconnect the usual way.
    const connectTimeoutMs = this.options.connectTimeoutMs ?? 30_000;
    const guard = this.clock.setTimeout(() => {
      onDone(new Error(`${this.options.name}: watch did not open within ${connectTimeoutMs} ms`));
    }, connectTimeoutMs);
    try {
      const request = await this.options.watch.watch(path, watchParams, onEvent, onDone);
      // Stopped, superseded or given up on while it was being opened: end it now.
      if (id !== this.generation || !this.running || finished) request.abort();
      else this.current = { id, request };
      return request;
    } catch (err) {
      onDone(err);
      return { abort: () => {} };
    } finally {
      this.clock.clearTimeout(guard);
    }
  }

  /** ListWatch gave up (any error but 410): start it again after a backoff. */
  private onFailure(err: unknown): void {
    this.scheduleRestart(err, () => void this.listWatch.start());
  }

  /** Runs `restart` after the next backoff delay; at most one restart is ever pending. */
  private scheduleRestart(err: unknown, restart: () => void): void {
    if (!this.running || this.restartTimer) return;

    const delay = this.backoff(this.failures++);
    this.statsValue.reconnects++;
    this.options.logger?.warn(
      { err, informer: this.options.name, statusCode: statusCodeOf(err), retryInMs: delay },
      'watch failed; reconnecting after backoff',
    );
    try {
      this.options.onFailure?.(err);
    } catch (hookErr) {
      this.options.logger?.error(
        { err: hookErr, informer: this.options.name },
        'informer failure hook threw',
      );
    }
    this.restartTimer = this.clock.setTimeout(() => {
      this.restartTimer = undefined;
      if (this.running) restart();
    }, delay);
  }

  private markSynced(): void {
    if (this.synced) return;
    this.synced = true;
    for (const resolve of this.syncWaiters.splice(0)) resolve();
  }

  private emit(event: InformerEvent, obj: T): void {
    for (const handler of this.handlers[event]) {
      try {
        handler(obj);
      } catch (err) {
        this.options.logger?.error(
          { err, informer: this.options.name, event },
          'informer handler threw',
        );
      }
    }
  }
}
