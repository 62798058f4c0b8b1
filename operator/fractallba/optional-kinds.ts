import type { Logger } from 'pino';

import type { KubeClient } from '../kube/client.ts';
import type { Clock } from '../kube/clock.ts';
import { TerminalError, statusCodeOf } from '../kube/errors.ts';
import type { KindCache } from '../kube/informer-factory.ts';
import type { GroupVersionKind, KubeObject } from '../kube/types.ts';
import { kindKey } from './children.ts';
import { REASON } from './reasons.ts';

/** How often discovery is asked again about a kind it did not serve. */
export const REDISCOVER_MS = 30_000;

/**
 * Longest wait for a new cache's first list. A kind that is served but cannot be listed (the
 * operator lacks RBAC for it, say) would otherwise hold every reconcile that needs it, and with
 * them the workers of every other FractalLBA, for good.
 */
export const SYNC_TIMEOUT_MS = 10_000;

/**
 * A failure that retrying at once cannot fix and that no event will announce the end of (a CRD
 * installed later, an object of someone else's deleted): the FractalLBA reports it and is looked
 * at again after `retryAfterMs`, without backoff and without a change to it.
 */
export class RecheckLaterError extends TerminalError {
  constructor(
    reason: string,
    message: string,
    readonly retryAfterMs: number = REDISCOVER_MS,
  ) {
    super(reason, message);
  }
}

/**
 * A child kind whose CRD the cluster lacks (cert-manager, the Prometheus Operator). Not retried
 * with backoff like an API failure, nor given up on like an invalid spec: the FractalLBA is
 * Degraded and looked at again every {@link REDISCOVER_MS}, so installing the add-on later is
 * picked up without touching the FractalLBA.
 */
export class MissingKindError extends RecheckLaterError {
  constructor(message: string) {
    super(REASON.crdNotInstalled, message, REDISCOVER_MS);
  }
}

export interface OptionalKindsOptions {
  client: Pick<KubeClient, 'isServed'>;
  /**
   * Builds and starts a cache for the kind, its events wired to the work queue. The cache must
   * report its informers' failures to {@link OptionalKinds.reportFailure}.
   */
  startCache: (gvk: GroupVersionKind) => Promise<KindCache<KubeObject>>;
  /** The cache has its first list: reconciles may read it (and readiness and shutdown see it). */
  readyCache?: (gvk: GroupVersionKind, cache: KindCache<KubeObject>) => void;
  /** The cache was stopped (its kind is gone, or it never filled): nothing may read it any more. */
  dropCache?: (gvk: GroupVersionKind, cache: KindCache<KubeObject>) => void;
  /**
   * A kind came or went: every FractalLBA that renders one of its objects must look again now
   * (to be Degraded, or to get the child), not when its own requeue is due.
   */
  onKindsChanged?: () => void;
  clock: Clock;
  logger: Logger;
  syncTimeoutMs?: number;
}

/**
 * Caches of optional child kinds: those the cluster served at start-up (registered with
 * {@link OptionalKinds.adopt}) and those started the first time a reconcile needs a kind that the
 * cluster has come to serve since. Discovery is asked at most once per kind every
 * {@link REDISCOVER_MS}, however many FractalLBAs are waiting for it, so a cluster without the
 * CRD costs one discovery request per kind and interval, not one per reconcile.
 *
 * A CRD can also go away while its cache runs. The informer then fails with 404 on every list
 * and watch, and keeps what it had cached: objects that no longer exist would look up to date,
 * so nothing would be written, status would stay Ready, and a reinstalled CRD would be watched
 * from a stale resource version. So a 404 (from the informer or from an apply) is checked with
 * discovery; when the kind is gone its cache is stopped and dropped, the FractalLBAs that need
 * it become Degraded again, and a fresh cache is started once discovery shows it again.
 */
export class OptionalKinds {
  private readonly checkedAt = new Map<string, number>();
  private readonly starting = new Map<string, Promise<KindCache<KubeObject> | undefined>>();
  private readonly started = new Map<string, KindCache<KubeObject>>();
  private readonly losing = new Map<string, Promise<boolean>>();
  /** Why the last start of a served kind failed; reported until it is tried again. */
  private readonly failures = new Map<string, Error>();
  private readonly lastError = new Map<string, unknown>();

  constructor(private readonly o: OptionalKindsOptions) {}

  /** Registers a cache the controller started at start-up, when the cluster served the kind. */
  adopt(gvk: GroupVersionKind, cache: KindCache<KubeObject>): void {
    this.started.set(kindKey(gvk), cache);
  }

  /**
   * The kind's cache, or undefined while the cluster does not serve the kind. Throws when the kind
   * is served but its cache could not be filled (until the next attempt, after the interval).
   */
  ensure(gvk: GroupVersionKind): Promise<KindCache<KubeObject> | undefined> {
    const key = kindKey(gvk);
    const ready = this.started.get(key);
    if (ready) return Promise.resolve(ready);

    const last = this.checkedAt.get(key);
    if (last !== undefined && this.o.clock.now() - last < REDISCOVER_MS) {
      const failure = this.failures.get(key);
      return failure ? Promise.reject(failure) : Promise.resolve(undefined);
    }

    let pending = this.starting.get(key);
    if (!pending) {
      pending = this.discover(gvk, key).finally(() => this.starting.delete(key));
      this.starting.set(key, pending);
    }
    return pending;
  }

  /**
   * A list, watch or write of the kind failed. A 404 may mean its CRD was deleted: asks discovery
   * and, when the kind is no longer served, stops and drops its cache. Resolves true in that case.
   */
  reportFailure(gvk: GroupVersionKind, err: unknown): Promise<boolean> {
    const key = kindKey(gvk);
    this.lastError.set(key, err);
    if (statusCodeOf(err) !== 404 || !this.started.has(key)) return Promise.resolve(false);

    // Every namespace's informer and every reconcile that applies the kind report the same loss.
    let pending = this.losing.get(key);
    if (!pending) {
      pending = this.checkLost(gvk, key).finally(() => this.losing.delete(key));
      this.losing.set(key, pending);
    }
    return pending;
  }

  private async checkLost(gvk: GroupVersionKind, key: string): Promise<boolean> {
    const cache = this.started.get(key);
    if (!cache) return true;
    let served: boolean;
    try {
      served = await this.o.client.isServed(gvk);
    } catch (err) {
      this.o.logger.warn({ err, kind: key }, 'could not ask discovery about an optional kind');
      return false;
    }
    if (served) return false;

    this.started.delete(key);
    this.checkedAt.set(key, this.o.clock.now());
    this.o.logger.warn(
      { kind: key },
      'the cluster no longer serves this optional child kind (its CRD was deleted); stopped watching it',
    );
    await cache.stop();
    this.o.dropCache?.(gvk, cache);
    this.o.onKindsChanged?.();
    return true;
  }

  private async discover(
    gvk: GroupVersionKind,
    key: string,
  ): Promise<KindCache<KubeObject> | undefined> {
    this.checkedAt.set(key, this.o.clock.now());
    this.failures.delete(key);
    this.lastError.delete(key);
    if (!(await this.o.client.isServed(gvk))) return undefined;

    this.o.logger.info(
      { kind: key },
      'the cluster now serves this optional child kind; watching it',
    );
    const cache = await this.o.startCache(gvk);
    const synced = await this.syncWithin(cache, this.o.syncTimeoutMs ?? SYNC_TIMEOUT_MS);
    if (!synced || !cache.hasSynced()) {
      // Stopped meanwhile (its CRD went again) or never listed: do not hand out an empty cache,
      // which would make every object of the kind look absent.
      await cache.stop();
      this.o.dropCache?.(gvk, cache);
      if (!(await this.o.client.isServed(gvk).catch(() => true))) return undefined;

      const last = this.lastError.get(key);
      const cause = last ? `: ${(last as Error)?.message ?? String(last)}` : '';
      const failure = new Error(
        `the cluster serves ${key}, but the operator could not list it within ` +
          `${Math.round((this.o.syncTimeoutMs ?? SYNC_TIMEOUT_MS) / 1000)} s${cause}; ` +
          `check that its RBAC allows list and watch on it (tried again every ${REDISCOVER_MS / 1000} s)`,
      );
      this.failures.set(key, failure);
      this.o.logger.error({ kind: key, err: last }, failure.message);
      throw failure;
    }

    this.o.readyCache?.(gvk, cache);
    this.started.set(key, cache);
    this.o.onKindsChanged?.();
    return cache;
  }

  private syncWithin(cache: KindCache<KubeObject>, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = this.o.clock.setTimeout(() => resolve(false), timeoutMs);
      void cache.waitForSync().then(() => {
        this.o.clock.clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
