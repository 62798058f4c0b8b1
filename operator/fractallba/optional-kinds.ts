import type { Logger } from 'pino';

import type { KubeClient } from '../kube/client.ts';
import type { Clock } from '../kube/clock.ts';
import { TerminalError } from '../kube/errors.ts';
import type { KindCache } from '../kube/informer-factory.ts';
import type { GroupVersionKind, KubeObject } from '../kube/types.ts';
import { kindKey } from './children.ts';
import { REASON } from './reasons.ts';

/** How often discovery is asked again about a kind it did not serve. */
export const REDISCOVER_MS = 30_000;

/**
 * A child kind whose CRD the cluster lacks (cert-manager, the Prometheus Operator). Not retried
 * with backoff like an API failure, nor given up on like an invalid spec: the FractalLBA is
 * Degraded and looked at again every {@link REDISCOVER_MS}, so installing the add-on later is
 * picked up without touching the FractalLBA.
 */
export class MissingKindError extends TerminalError {
  readonly retryAfterMs = REDISCOVER_MS;

  constructor(message: string) {
    super(REASON.crdNotInstalled, message);
  }
}

export interface OptionalKindsOptions {
  client: Pick<KubeClient, 'isServed'>;
  /** Builds, registers (for events and shutdown), starts and syncs a cache for the kind. */
  startCache: (gvk: GroupVersionKind) => Promise<KindCache<KubeObject>>;
  clock: Clock;
  logger: Logger;
}

/**
 * Caches of optional child kinds, started the first time a reconcile needs one that the cluster
 * has come to serve since start-up. Discovery is asked at most once per kind every
 * {@link REDISCOVER_MS}, however many FractalLBAs are waiting for it, so a cluster without the
 * CRD costs one discovery request per kind and interval, not one per reconcile.
 */
export class OptionalKinds {
  private readonly checkedAt = new Map<string, number>();
  private readonly starting = new Map<string, Promise<KindCache<KubeObject> | undefined>>();
  private readonly started = new Map<string, KindCache<KubeObject>>();

  constructor(private readonly o: OptionalKindsOptions) {}

  /** The kind's cache, or undefined while the cluster does not serve the kind. */
  ensure(gvk: GroupVersionKind): Promise<KindCache<KubeObject> | undefined> {
    const key = kindKey(gvk);
    const ready = this.started.get(key);
    if (ready) return Promise.resolve(ready);

    const last = this.checkedAt.get(key);
    if (last !== undefined && this.o.clock.now() - last < REDISCOVER_MS)
      return Promise.resolve(undefined);

    let pending = this.starting.get(key);
    if (!pending) {
      pending = this.discover(gvk, key).finally(() => this.starting.delete(key));
      this.starting.set(key, pending);
    }
    return pending;
  }

  private async discover(
    gvk: GroupVersionKind,
    key: string,
  ): Promise<KindCache<KubeObject> | undefined> {
    this.checkedAt.set(key, this.o.clock.now());
    if (!(await this.o.client.isServed(gvk))) return undefined;

    this.o.logger.info(
      { kind: key },
      'the cluster now serves this optional child kind; watching it',
    );
    const cache = await this.o.startCache(gvk);
    this.started.set(key, cache);
    return cache;
  }
}
