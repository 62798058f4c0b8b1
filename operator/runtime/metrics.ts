import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Result label of `flk_operator_reconcile_total`. */
export type ReconcileResult = 'success' | 'requeue' | 'error' | 'terminal' | 'moved_on';

export interface OperatorMetrics {
  registry: Registry;
  reconcileTotal: Counter<'controller' | 'result'>;
  reconcileErrors: Counter<'controller'>;
  reconcileDuration: Histogram<'controller'>;
  queueDepth: Gauge<'controller'>;
  leader: Gauge;
}

/** The operator's metrics on a registry of their own, plus the process metrics of prom-client. */
export function createOperatorMetrics(options: { processMetrics?: boolean } = {}): OperatorMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true)
    collectDefaultMetrics({ register: registry, prefix: 'flk_operator_' });

  return {
    registry,
    reconcileTotal: new Counter({
      name: 'flk_operator_reconcile_total',
      help: 'Reconciles run, by controller and result (success, requeue, error, terminal, moved_on).',
      labelNames: ['controller', 'result'],
      registers: [registry],
    }),
    reconcileErrors: new Counter({
      name: 'flk_operator_reconcile_errors_total',
      help: 'Reconciles that failed with an error to retry or a terminal error, by controller.',
      labelNames: ['controller'],
      registers: [registry],
    }),
    reconcileDuration: new Histogram({
      name: 'flk_operator_reconcile_duration_seconds',
      help: 'Time one reconcile took, by controller.',
      labelNames: ['controller'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'flk_operator_queue_depth',
      help: 'Keys waiting in the work queue, by controller.',
      labelNames: ['controller'],
      registers: [registry],
    }),
    leader: new Gauge({
      name: 'flk_operator_leader',
      help: '1 while this replica holds the leader lease (or leader election is off), else 0.',
      registers: [registry],
    }),
  };
}
