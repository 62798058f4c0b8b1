import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';

import { API_VERSION, FIELD_MANAGER, FRACTALLBA, LABELS } from '../api/constants.ts';
import type { KubeClient } from '../kube/client.ts';
import type { Clock } from '../kube/clock.ts';
import type { EventRecorder } from '../kube/events.ts';
import { WriteExpectations } from '../kube/expectations.ts';
import { CacheFactory, type KindCache } from '../kube/informer-factory.ts';
import { objectKey, type GroupVersionKind, type KubeObject } from '../kube/types.ts';
import { Controller } from '../runtime/controller.ts';
import type { OperatorMetrics } from '../runtime/metrics.ts';
import { CHILD_KINDS, OPTIONAL_CHILD_KINDS, kindKey } from './children.ts';
import type { FractalLBADeps, FractalLBAObject } from './deps.ts';
import { OptionalKinds } from './optional-kinds.ts';
import { reconcileFractalLBA } from './reconcile.ts';
import { summariseSecret, type SecretSummary } from './secrets.ts';
import { watchChildren, watchFractalLBAs, watchSecrets } from './watches.ts';

export interface FractalLBAControllerOptions {
  kc: KubeConfig;
  client: KubeClient;
  /** Namespaces to watch; empty for all. */
  namespaces: readonly string[];
  logger: Logger;
  metrics: OperatorMetrics;
  events: EventRecorder;
  clock: Clock;
  workers: number;
  resyncMs: number;
  operatorNamespace?: string;
}

/** The FractalLBA controller and the caches it reads. */
export interface FractalLBAController {
  controller: Controller;
  /** Grows when an optional kind's CRD appears after start-up and its cache is started. */
  caches: KindCache<KubeObject>[];
  /** Starts the work queue's periodic resync of every FractalLBA. */
  startResync(): void;
}

export const CONTROLLER_NAME = 'fractallba';

/**
 * Wires the FractalLBA reconciler to its watches: FractalLBAs, every child kind (selected by our
 * managed-by label, so only our own children are cached), and Secrets (summarised, no values).
 * Optional child kinds the cluster does not serve at start (no cert-manager or Prometheus
 * Operator CRDs) are not watched; a FractalLBA that asks for one is Degraded, and the kind's
 * cache is started once discovery shows its CRD (see {@link OptionalKinds}).
 */
export async function createFractalLBAController(
  o: FractalLBAControllerOptions,
): Promise<FractalLBAController> {
  const factory = new CacheFactory(o.kc, o.client);
  const common = { namespaces: o.namespaces, logger: o.logger, clock: o.clock };

  const fractallbas = await factory.cacheFor<FractalLBAObject>(
    { apiVersion: API_VERSION, kind: FRACTALLBA.kind },
    common,
  );
  const secrets = await factory.cacheFor<SecretSummary>(
    { apiVersion: 'v1', kind: 'Secret' },
    { ...common, transform: (s) => summariseSecret(s) },
  );
  const children = new Map<string, KindCache<KubeObject>>();
  const labelSelector = `${LABELS.managedBy}=${FIELD_MANAGER}`;
  const expectations = new WriteExpectations(15_000, o.clock);
  let enqueue: (key: string) => void = () => {};
  let enqueueAll: () => void = () => {};

  const optionalKinds = new OptionalKinds({
    client: o.client,
    clock: o.clock,
    logger: o.logger,
    startCache: async (gvk) => {
      const cache = await childCache(gvk);
      watchChildren(cache, expectations, (key) => enqueue(key));
      cache.start();
      return cache;
    },
    readyCache: (gvk, cache) => {
      caches.push(cache);
      children.set(kindKey(gvk), cache);
    },
    dropCache: (gvk, cache) => {
      if (children.get(kindKey(gvk)) === cache) children.delete(kindKey(gvk));
      const at = caches.indexOf(cache);
      if (at >= 0) caches.splice(at, 1);
    },
    // Whoever renders the kind must hear of it now: to create the child, or to report it missing
    // and apply the children after it in render order.
    onKindsChanged: () => enqueueAll(),
  });
  // Optional kinds report their informers' failures, so a CRD deleted at run time is noticed.
  const childCache = (gvk: GroupVersionKind) =>
    factory.cacheFor<KubeObject>(gvk, {
      ...common,
      labelSelector,
      ...(OPTIONAL_CHILD_KINDS.has(gvk.kind) && {
        onFailure: (err: unknown) => void optionalKinds.reportFailure(gvk, err),
      }),
    });

  for (const gvk of CHILD_KINDS) {
    if (OPTIONAL_CHILD_KINDS.has(gvk.kind) && !(await o.client.isServed(gvk))) {
      o.logger.info(
        { kind: kindKey(gvk) },
        'the cluster does not serve this optional child kind; not watching it',
      );
      continue;
    }
    const cache = await childCache(gvk);
    children.set(kindKey(gvk), cache);
    if (OPTIONAL_CHILD_KINDS.has(gvk.kind)) optionalKinds.adopt(gvk, cache);
  }

  const caches = [fractallbas, secrets, ...children.values()] as KindCache<KubeObject>[];
  const deps: FractalLBADeps = {
    api: o.client,
    caches: { fractallbas, secrets, children },
    expectations,
    events: o.events,
    clock: o.clock,
    fieldManager: FIELD_MANAGER,
    operatorNamespace: o.operatorNamespace,
    optionalKinds,
  };
  const controller = new Controller({
    name: CONTROLLER_NAME,
    reconcile: (req, ctx) => reconcileFractalLBA(req, ctx, deps),
    metrics: o.metrics,
    logger: o.logger,
    workers: o.workers,
    clock: o.clock,
  });

  enqueue = (key: string) => controller.enqueue(key);
  enqueueAll = () => {
    for (const flk of fractallbas.list()) controller.enqueue(objectKey(flk));
  };
  watchFractalLBAs(fractallbas, expectations, enqueue);
  watchSecrets(secrets, fractallbas, enqueue);
  for (const cache of children.values()) watchChildren(cache, expectations, enqueue);

  return {
    controller,
    caches,
    startResync: () =>
      controller.queue.resyncEvery(o.resyncMs, () => fractallbas.list().map((f) => objectKey(f))),
  };
}
