/**
 * The operator process: `npm run operator` (against $KUBECONFIG) or the in-cluster Deployment.
 * Flags and variables are listed in runtime/config.ts; bad configuration exits 2 with one line
 * naming the setting.
 */
import { FIELD_MANAGER } from './api/constants.ts';
import { systemClock } from './kube/clock.ts';
import { EventRecorder } from './kube/events.ts';
import { KubeConfigError, createKubeClient } from './kube/kubeconfig.ts';
import { LeaderElector } from './kube/leader-election.ts';
import { kubeLeaseStore } from './kube/lease.ts';
import { createFractalLBAController } from './fractallba/controller.ts';
import { createSigningKeyController } from './signingkey/controller.ts';
import { ConfigError, parseConfig, usage, type OperatorConfig } from './runtime/config.ts';
import { HealthServer } from './runtime/health-server.ts';
import { createLogger } from './runtime/logger.ts';
import { createOperatorMetrics } from './runtime/metrics.ts';
import { Shutdown } from './runtime/shutdown.ts';

function configOrExit(): OperatorConfig {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(usage());
    process.exit(0);
  }
  try {
    return parseConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`flk-operator: ${err.message}\n`);
    process.exit(2);
  }
}

function clusterOrExit() {
  try {
    return createKubeClient({ userAgent: `${FIELD_MANAGER}/0.1` });
  } catch (err) {
    if (!(err instanceof KubeConfigError)) throw err;
    process.stderr.write(`flk-operator: ${err.message}\n`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const config = configOrExit();
  const { kc, client } = clusterOrExit();
  const logger = createLogger({ level: config.logLevel });
  const metrics = createOperatorMetrics();
  const shutdown = new Shutdown(logger, config.shutdownTimeoutMs);
  shutdown.listenForSignals();

  const events = new EventRecorder(client, {
    component: FIELD_MANAGER,
    instance: config.identity,
    logger,
  });
  const flk = await createFractalLBAController({
    kc,
    client,
    namespaces: config.namespaces,
    logger,
    metrics,
    events,
    clock: systemClock,
    workers: config.workers,
    resyncMs: config.resyncMs,
    operatorNamespace: config.operatorNamespace,
  });
  const sk = await createSigningKeyController({
    kc,
    client,
    namespaces: config.namespaces,
    logger,
    metrics,
    events,
    clock: systemClock,
    workers: config.workers,
    resyncMs: config.resyncMs,
  });
  const controllers = [flk, sk];
  // A function, not a list: a controller adds a cache when an add-on's CRD appears later.
  const caches = () => controllers.flatMap((c) => c.caches);

  const elector = config.leaderElect
    ? new LeaderElector({
        store: kubeLeaseStore(client, config.leaseNamespace, config.leaseName),
        identity: config.identity,
        logger,
        onStartedLeading: () => {
          metrics.leader.set(1);
          void startReconciling();
        },
        onStoppedLeading: () => {
          metrics.leader.set(0);
          void shutdown.run('lost the leader lease', 1);
        },
        onNewLeader: (leader) => logger.info({ leader }, 'leader observed'),
      })
    : undefined;

  const health = new HealthServer({
    host: config.healthHost,
    port: config.healthPort,
    registry: metrics.registry,
    alive: () => !shutdown.inProgress,
    readiness: [
      () => (shutdown.inProgress ? 'shutting down' : undefined),
      () =>
        caches().every((c) => c.hasSynced()) ? undefined : 'informer caches have not synced yet',
      () =>
        !elector || elector.healthy()
          ? undefined
          : 'leader election cannot read or renew its lease',
    ],
  });

  // Reverse order of start: stop taking work and finish the reconcile in flight, give up the
  // lease so a standby takes over at once, then close the watches and the listeners.
  shutdown.add({
    name: 'controllers',
    run: async () => void (await Promise.all(controllers.map((c) => c.controller.shutdown()))),
  });
  shutdown.add({ name: 'leader election', run: () => elector?.stop() });
  shutdown.add({
    name: 'informers',
    run: async () => void (await Promise.all(caches().map((c) => c.stop()))),
  });
  shutdown.add({ name: 'health server', run: () => health.close() });
  shutdown.add({ name: 'client', run: () => client.close() });

  const address = await health.listen();
  logger.info(
    {
      health: `${address.address}:${address.port}`,
      namespaces: config.namespaces.length > 0 ? config.namespaces : 'all',
      leaderElection: config.leaderElect ? `${config.leaseNamespace}/${config.leaseName}` : 'off',
      identity: config.identity,
      server: client.server,
    },
    'starting',
  );
  for (const cache of caches()) cache.start();

  let reconciling = false;
  async function startReconciling(): Promise<void> {
    if (reconciling || shutdown.inProgress) return;
    reconciling = true;
    await Promise.all(caches().map((c) => c.waitForSync()));
    if (shutdown.inProgress) return;
    for (const c of controllers) {
      logger.info({ controller: c.controller.name }, 'caches synced; reconciling');
      c.controller.run();
      c.startResync();
    }
  }

  if (elector) {
    metrics.leader.set(0);
    elector.start();
  } else {
    metrics.leader.set(1);
    await startReconciling();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`flk-operator: could not start: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
