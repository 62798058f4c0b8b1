/** The operator rows of the dashboard: reconciles and the SigningKeys of the chosen namespace. */
import type { RowSpec } from './grafana.ts';

const SK = 'signingkey_namespace="$namespace"';
const RI = '$__rate_interval';

export function operatorRows(): RowSpec[] {
  return [
    {
      title: 'Operator',
      panels: [
        {
          title: 'Reconciles by result',
          description:
            'success, requeue, error (retried), terminal (needs a spec change), moved_on (cache was behind).',
          unit: 'ops',
          stacked: true,
          queries: [
            {
              expr: `sum by (controller, result) (rate(flk_operator_reconcile_total[${RI}]))`,
              legend: '{{controller}} {{result}}',
            },
          ],
        },
        {
          title: 'Reconcile errors',
          description:
            'Failed reconciles by controller; the alert fires on more than 3 in 30 minutes, for 15 minutes.',
          unit: 'ops',
          queries: [
            {
              expr: `sum by (controller) (rate(flk_operator_reconcile_errors_total[${RI}]))`,
              legend: '{{controller}}',
            },
          ],
        },
        {
          title: 'Reconcile duration (p95) and queue depth',
          description: 'Time per reconcile, and keys waiting in each work queue.',
          queries: [
            {
              expr: `histogram_quantile(0.95, sum by (controller, le) (rate(flk_operator_reconcile_duration_seconds_bucket[${RI}])))`,
              legend: 'p95 {{controller}} (s)',
            },
            {
              expr: 'max by (controller) (flk_operator_queue_depth)',
              legend: 'queue {{controller}}',
            },
            { expr: 'sum(flk_operator_leader)', legend: 'leaders' },
          ],
        },
      ],
    },
    {
      title: 'SigningKeys',
      panels: [
        {
          title: 'Key states',
          description:
            'Keys of each SigningKey by state: Pending (verifiers only), Active (signs), Retiring, Expired.',
          type: 'table',
          width: 12,
          queries: [
            { expr: `sum by (signingkey, state) (flk_signingkey_keys{${SK}})`, instant: true },
          ],
        },
        {
          title: 'Conditions that hold',
          description:
            'Ready, Progressing and Degraded of each SigningKey (kubectl describe sk shows the message).',
          type: 'table',
          width: 12,
          queries: [
            {
              expr: `flk_signingkey_condition{${SK},status="True"} == 1`,
              instant: true,
            },
          ],
        },
        {
          title: 'Time to next rotation and to key expiry',
          description:
            'Negative: overdue. The expiry of a Retiring key is when backends stop accepting it.',
          unit: 's',
          width: 24,
          queries: [
            {
              expr: `flk_signingkey_next_rotation_timestamp_seconds{${SK}} - time()`,
              legend: 'rotation {{signingkey}}',
            },
            {
              expr: `flk_signingkey_key_not_after_timestamp_seconds{${SK}} - time()`,
              legend: 'expiry {{signingkey}} {{kid}}',
            },
          ],
        },
      ],
    },
  ];
}
