import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';

import { API_VERSION, FIELD_MANAGER, FRACTALLBA, LABELS, SIGNINGKEY } from '../api/constants.ts';
import type { FractalLBAObject } from '../fractallba/deps.ts';
import type { KubeClient } from '../kube/client.ts';
import type { Clock } from '../kube/clock.ts';
import type { EventRecorder } from '../kube/events.ts';
import { WriteExpectations } from '../kube/expectations.ts';
import { CacheFactory, type KindCache } from '../kube/informer-factory.ts';
import { objectKey, type KubeObject } from '../kube/types.ts';
import { Controller } from '../runtime/controller.ts';
import type { OperatorMetrics } from '../runtime/metrics.ts';
import { registerSigningKeyMetrics } from '../runtime/signingkey-metrics.ts';
import type { SigningKeyDeps, SigningKeyObject } from './deps.ts';
import { mintKey } from './material.ts';
import { reconcileSigningKey } from './reconcile.ts';
import { trimSecret } from './secrets-cache.ts';
import { watchDeployments, watchFractalLBAs, watchSecrets, watchSigningKeys } from './watches.ts';

export interface SigningKeyControllerOptions {
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
}

export interface SigningKeyController {
  controller: Controller;
  caches: KindCache<KubeObject>[];
  /** Starts the work queue's periodic resync of every SigningKey. */
  startResync(): void;
}

export const CONTROLLER_NAME = 'signingkey';

/**
 * Wires the SigningKey reconciler to its watches: SigningKeys; Secrets (ours whole, others cut to
 * their identity); FractalLBAs, to know the consumers; and backend Deployments, to see their
 * rollouts. Time-driven steps (scheduled rotation, end of an overlap, a rollout deadline) come
 * back through the reconcile's requeue-after, not through polling.
 */
export async function createSigningKeyController(
  o: SigningKeyControllerOptions,
): Promise<SigningKeyController> {
  const factory = new CacheFactory(o.kc, o.client);
  const common = { namespaces: o.namespaces, logger: o.logger, clock: o.clock };

  const signingkeys = await factory.cacheFor<SigningKeyObject>(
    { apiVersion: API_VERSION, kind: SIGNINGKEY.kind },
    common,
  );
  const secrets = await factory.cacheFor<KubeObject>(
    { apiVersion: 'v1', kind: 'Secret' },
    { ...common, transform: trimSecret },
  );
  const fractallbas = await factory.cacheFor<FractalLBAObject>(
    { apiVersion: API_VERSION, kind: FRACTALLBA.kind },
    common,
  );
  const deployments = await factory.cacheFor<KubeObject>(
    { apiVersion: 'apps/v1', kind: 'Deployment' },
    { ...common, labelSelector: `${LABELS.managedBy}=${FIELD_MANAGER}` },
  );

  const expectations = new WriteExpectations(15_000, o.clock);
  const deps: SigningKeyDeps = {
    api: o.client,
    caches: { signingkeys, secrets, fractallbas, deployments },
    expectations,
    events: o.events,
    clock: o.clock,
    fieldManager: FIELD_MANAGER,
    mint: mintKey,
  };
  const controller = new Controller({
    name: CONTROLLER_NAME,
    reconcile: (req, ctx) => reconcileSigningKey(req, ctx, deps),
    metrics: o.metrics,
    logger: o.logger,
    workers: o.workers,
    clock: o.clock,
  });

  // Key states, conditions and times as gauges, read from the cache at each scrape (alerts/).
  registerSigningKeyMetrics(o.metrics.registry, () => signingkeys.list());

  const enqueue = (key: string) => controller.enqueue(key);
  watchSigningKeys(signingkeys, expectations, enqueue);
  watchSecrets(secrets, signingkeys, expectations, enqueue);
  watchFractalLBAs(fractallbas, signingkeys, enqueue);
  watchDeployments(deployments, fractallbas, signingkeys, enqueue);

  return {
    controller,
    caches: [signingkeys, secrets, fractallbas, deployments] as KindCache<KubeObject>[],
    startResync: () =>
      controller.queue.resyncEvery(o.resyncMs, () => signingkeys.list().map((sk) => objectKey(sk))),
  };
}
