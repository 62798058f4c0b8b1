/** The backend rows of the dashboard: SLO, ingest, dedup and signatures, WAL and store, resources. */
import { ERROR_BUDGET, LATENCY_P95_SECONDS, SUBMIT_ROUTE } from '../backend-serving.ts';
import { DEDUP_RATIO_RECORD } from '../backend-integrity.ts';
import type { RowSpec } from './grafana.ts';

/** The backend the dashboard shows: the FractalLBA picked by the two variables. */
export const B = 'namespace="$namespace",job="$job"';
export const RI = '$__rate_interval';
const submit = `${B},route="${SUBMIT_ROUTE}"`;
const rate = (metric: string, matchers = B, by = '') =>
  `sum${by ? ` by (${by})` : ''} (rate(${metric}{${matchers}}[${RI}]))`;
const quantile = (q: number, metric: string, matchers = B, by = '') =>
  `histogram_quantile(${q}, sum by (${by ? `${by}, ` : ''}le) (rate(${metric}{${matchers}}[${RI}])))`;

export function backendRows(): RowSpec[] {
  const failed = `flk_http_responses_total{${submit},status=~"5.."}`;
  const all = `flk_http_responses_total{${submit}}`;
  return [
    {
      title: 'SLO: submissions without a 5xx (target 99.9 % over 30 days)',
      panels: [
        {
          title: 'Availability over the dashboard range',
          description: 'Share of submissions that did not get a 5xx.',
          type: 'stat',
          unit: 'percentunit',
          queries: [
            { expr: `1 - sum(increase(${failed}[$__range])) / sum(increase(${all}[$__range]))` },
          ],
        },
        {
          title: 'Error budget left (30 days)',
          description: 'What is left of the 0.1 % of submissions allowed to fail in 30 days.',
          type: 'stat',
          unit: 'percentunit',
          queries: [
            {
              expr: `1 - (sum(increase(${failed}[30d])) / sum(increase(${all}[30d]))) / ${ERROR_BUDGET}`,
            },
          ],
        },
        {
          title: 'Error budget burn rate',
          description:
            'Error ratio divided by the budget: 1 spends it in exactly 30 days. The fast-burn alert fires above 14.4 (1h) and 6 (6h).',
          thresholds: [6, 14.4],
          queries: ['5m', '1h', '6h', '3d'].map((w) => ({
            expr: `flk:submit_error_ratio:rate${w}{${B}} / ${ERROR_BUDGET}`,
            legend: w,
          })),
        },
      ],
    },
    {
      title: 'Ingest',
      panels: [
        {
          title: 'Submissions by status',
          description:
            '200 accepted, 202 escalated, 401 bad signature, 4xx bad input, 503 store or WAL unavailable.',
          unit: 'reqps',
          stacked: true,
          queries: [
            { expr: rate('flk_http_responses_total', submit, 'status'), legend: '{{status}}' },
          ],
        },
        {
          title: 'Submit latency',
          description: `p50, p95 and p99 of ${SUBMIT_ROUTE}; the alert and the load gate are p95 < ${LATENCY_P95_SECONDS * 1000} ms.`,
          unit: 's',
          thresholds: [LATENCY_P95_SECONDS],
          queries: [0.5, 0.95, 0.99].map((q) => ({
            expr: quantile(q, 'flk_http_request_duration_seconds_bucket', submit),
            legend: `p${q * 100}`,
          })),
        },
        {
          title: 'Outcomes and refusals',
          description:
            'Stored outcomes (accepted, escalated), refusals before verification by code, and 429s.',
          unit: 'reqps',
          queries: [
            { expr: rate('flk_accepted'), legend: 'accepted' },
            { expr: rate('flk_escalated'), legend: 'escalated' },
            { expr: rate('flk_rejected_input_total', B, 'code'), legend: 'rejected {{code}}' },
            { expr: rate('flk_rate_limited_total'), legend: 'rate limited' },
          ],
        },
      ],
    },
    {
      title: 'Dedup and signatures',
      panels: [
        {
          title: 'Dedup hit ratio',
          description:
            'Hits per dedup lookup (only records whose signature held are looked up). Alerts above 50 % and on a collapse below a quarter of the daily average.',
          unit: 'percentunit',
          queries: [
            { expr: `${DEDUP_RATIO_RECORD}{${B}}`, legend: '30m' },
            {
              expr: `${rate('flk_dedup_hits')} / ${rate('flk_dedup_store_duration_seconds_count', `${B},op="get"`)}`,
              legend: 'now',
            },
          ],
        },
        {
          title: 'Signature errors by reason',
          description:
            'no_key: the key is not loaded here; mismatch: wrong key or altered record; bad_encoding: malformed sig.',
          unit: 'reqps',
          stacked: true,
          queries: [
            {
              expr: rate('flk_signature_errors_by_reason_total', B, 'reason'),
              legend: '{{reason}}',
            },
            { expr: rate('flk_signature_errors'), legend: 'all' },
          ],
        },
        {
          title: 'Verifier keys per backend',
          description: 'Pods verifying with each key id, and failed key reloads.',
          queries: [
            { expr: `sum by (kid, alg) (flk_keys_loaded{${B}})`, legend: '{{kid}} ({{alg}})' },
            {
              expr: `sum(increase(flk_key_reload_errors_total{${B}}[${RI}]))`,
              legend: 'reload errors',
            },
          ],
        },
      ],
    },
    {
      title: 'WAL and dedup store',
      panels: [
        {
          title: 'WAL fsync latency',
          description: 'One write + fdatasync, serving every request of a group commit.',
          unit: 's',
          queries: [0.5, 0.99].map((q) => ({
            expr: quantile(q, 'flk_wal_fsync_duration_seconds_bucket'),
            legend: `p${q * 100}`,
          })),
        },
        {
          title: 'WAL batch size',
          description:
            'Records made durable by one fsync: grows with concurrency, which is what keeps fsyncs few.',
          queries: [
            {
              expr: `${rate('flk_wal_batch_records_sum')} / ${rate('flk_wal_batch_records_count')}`,
              legend: 'mean',
            },
            { expr: quantile(0.9, 'flk_wal_batch_records_bucket'), legend: 'p90' },
          ],
        },
        {
          title: 'WAL volume',
          description:
            'Used and total bytes of the WAL filesystem, and the append rate. Alerts under 15 % and 5 % free.',
          unit: 'bytes',
          queries: [
            {
              expr: `max(flk_wal_volume_capacity_bytes{${B}}) - min(flk_wal_volume_available_bytes{${B}})`,
              legend: 'used',
            },
            { expr: `max(flk_wal_volume_capacity_bytes{${B}})`, legend: 'capacity' },
            { expr: rate('flk_wal_bytes_total'), legend: 'appended per second' },
          ],
        },
        {
          title: 'WAL errors and start-up replay',
          description: 'Failed appends (each a 503) and records replayed at start by result.',
          queries: [
            { expr: `sum(increase(flk_wal_errors{${B}}[${RI}]))`, legend: 'append errors' },
            {
              expr: `sum by (result) (increase(flk_wal_replayed_total{${B}}[${RI}]))`,
              legend: 'replayed {{result}}',
            },
          ],
        },
        {
          title: 'Dedup store latency (p99)',
          description: 'Past DEDUP_TIMEOUT (800 ms by default) a call becomes a 503.',
          unit: 's',
          queries: [
            {
              expr: quantile(0.99, 'flk_dedup_store_duration_seconds_bucket', B, 'op'),
              legend: '{{op}}',
            },
          ],
        },
        {
          title: 'Dedup store up and errors',
          description: 'Pods whose last store call succeeded, and failed calls by operation.',
          queries: [
            { expr: `sum by (backend) (flk_dedup_store_up{${B}})`, legend: 'up ({{backend}})' },
            { expr: rate('flk_dedup_store_errors_total', B, 'op'), legend: 'errors {{op}}' },
          ],
        },
      ],
    },
    {
      title: 'Backend resources',
      panels: [
        {
          title: 'CPU per pod',
          description: 'The ingest runs on one event loop: near 1 core a pod is saturated.',
          unit: 'short',
          thresholds: [0.9],
          queries: [
            { expr: `rate(flk_process_process_cpu_seconds_total{${B}}[${RI}])`, legend: '{{pod}}' },
          ],
        },
        {
          title: 'Memory per pod',
          description: 'Resident memory against the pod memory limit.',
          unit: 'bytes',
          queries: [
            { expr: `flk_process_process_resident_memory_bytes{${B}}`, legend: '{{pod}}' },
            { expr: `max(flk_process_memory_limit_bytes{${B}})`, legend: 'limit' },
          ],
        },
        {
          title: 'Event loop lag (p99)',
          description: 'How late timers fire: a busy loop delays every request.',
          unit: 's',
          queries: [
            { expr: `flk_process_nodejs_eventloop_lag_p99_seconds{${B}}`, legend: '{{pod}}' },
          ],
        },
      ],
    },
  ];
}
