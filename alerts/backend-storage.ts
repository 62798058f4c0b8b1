/**
 * What the backend writes to and reads from: the WAL volume and its fsyncs, and the dedup store
 * (memory, Redis or PostgreSQL). The store is judged by the backend's own view of it
 * (`flk_dedup_store_up{backend}`, `flk_dedup_store_errors_total`): FLK ships no Redis or
 * PostgreSQL exporter, and what matters is whether the backend can use the store.
 */
import { alert, series, type RuleGroup } from './rule-types.ts';
import { BY_BACKEND, type BackendScope } from './scope.ts';

const WAL = 'wal-disk-pressure.md';
const DEDUP = 'dedup-outage.md';
const who = '{{ $labels.namespace }}/{{ $labels.job }}';

/** Free share of the WAL volume below which the warning and the critical alert fire. */
export const WAL_FREE_WARNING = 0.15;
export const WAL_FREE_CRITICAL = 0.05;

export function storageRules(scope: BackendScope): RuleGroup {
  const s = scope.selector;
  // One WAL claim per FractalLBA, shared by its pods (ReadWriteMany) or used by its one pod.
  const free =
    `min by (${BY_BACKEND}) (${series('flk_wal_volume_available_bytes', s)})\n/\n` +
    `max by (${BY_BACKEND}) (${series('flk_wal_volume_capacity_bytes', s)})`;
  const quantile = (q: number, metric: string, by = BY_BACKEND) =>
    `histogram_quantile(${q},\n  sum by (${by}, le) (rate(${series(metric, s)}[5m]))\n)`;
  const storeDown = (backend: string) =>
    `max by (${BY_BACKEND}) (${series('flk_dedup_store_up', s, `backend="${backend}"`)}) == 0`;

  return {
    name: 'flk-backend-storage',
    rules: [
      alert(WAL, {
        alert: 'FlkWalVolumeLow',
        expr: `${free}\n< ${WAL_FREE_WARNING}`,
        for: '5m',
        severity: 'warning',
        summary: `FLK backend ${who}: WAL volume less than ${WAL_FREE_WARNING * 100} % free`,
        description:
          'The WAL volume is filling up. When it is full every submission fails with 503 ' +
          'wal_unavailable, because nothing is answered before it is on disk.',
      }),
      alert(WAL, {
        alert: 'FlkWalVolumeCritical',
        expr: `${free}\n< ${WAL_FREE_CRITICAL}`,
        for: '2m',
        severity: 'critical',
        summary: `FLK backend ${who}: WAL volume less than ${WAL_FREE_CRITICAL * 100} % free`,
        description:
          'The WAL volume is about to be full; then every submission fails with 503 ' +
          'wal_unavailable. Free space or grow the volume now.',
      }),
      alert(WAL, {
        alert: 'FlkWalVolumeFillingUp',
        expr:
          `min by (${BY_BACKEND}) (predict_linear(${series('flk_wal_volume_available_bytes', s)}[6h], 86400)) < 0\n` +
          `and\n${free}\n< 0.5`,
        for: '1h',
        severity: 'warning',
        summary: `FLK backend ${who}: WAL volume full within a day at this rate`,
        description:
          'Over the last 6 hours the WAL volume filled fast enough to be full within 24 hours, ' +
          'and it is already more than half full. Compaction is not keeping up, or the ' +
          'retention is too long for the traffic.',
      }),
      alert(WAL, {
        alert: 'FlkWalWriteErrors',
        expr: `sum by (${BY_BACKEND}) (increase(${series('flk_wal_errors', s)}[5m])) > 0`,
        for: '1m',
        severity: 'critical',
        summary: `FLK backend ${who} cannot write its WAL`,
        description:
          'WAL appends are failing, and each failed one is a 503 wal_unavailable: the disk is ' +
          'full, read-only, or gone.',
      }),
      alert(WAL, {
        alert: 'FlkWalFsyncSlow',
        expr: `${quantile(0.99, 'flk_wal_fsync_duration_seconds_bucket')} > 0.1`,
        for: '10m',
        severity: 'warning',
        summary: `FLK backend ${who}: WAL fsync p99 above 100 ms`,
        description:
          'One write+fdatasync of the WAL takes over 100 ms at the 99th percentile. Every ' +
          'submission waits for one, so ingest latency follows the disk.',
      }),
      alert(DEDUP, {
        alert: 'FlkRedisDown',
        expr: storeDown('redis'),
        for: '1m',
        severity: 'critical',
        summary: `FLK backend ${who} cannot reach Redis`,
        description:
          'No backend pod of this FractalLBA reached its Redis dedup store in its last call. ' +
          'Submissions fail closed with 503 dedup_unavailable (agents retry); the WAL keeps ' +
          'recording them.',
      }),
      alert(DEDUP, {
        alert: 'FlkPostgresDown',
        expr: storeDown('postgres'),
        for: '1m',
        severity: 'critical',
        summary: `FLK backend ${who} cannot reach PostgreSQL`,
        description:
          'No backend pod of this FractalLBA reached its PostgreSQL dedup store in its last ' +
          'call. Submissions fail closed with 503 dedup_unavailable (agents retry); the WAL ' +
          'keeps recording them.',
      }),
      alert(DEDUP, {
        alert: 'FlkDedupStoreErrors',
        expr:
          `sum by (${BY_BACKEND}) (rate(${series('flk_dedup_store_errors_total', s)}[5m]))\n/\n` +
          `sum by (${BY_BACKEND}) (rate(${series('flk_dedup_store_duration_seconds_count', s)}[5m]))\n> 0.01`,
        for: '5m',
        severity: 'warning',
        summary: `FLK backend ${who}: over 1 % of dedup store calls fail`,
        description:
          'Dedup store calls are failing or timing out (DEDUP_TIMEOUT); each one is a 503 to an ' +
          'agent. The store flaps, is overloaded, or some pods cannot reach it.',
      }),
      alert(DEDUP, {
        alert: 'FlkDedupStoreSlow',
        expr: `${quantile(0.99, 'flk_dedup_store_duration_seconds_bucket', `${BY_BACKEND}, op`)} > 0.25`,
        for: '10m',
        severity: 'warning',
        summary: `FLK backend ${who}: dedup store {{ $labels.op }} p99 above 250 ms`,
        description:
          'Dedup store calls are slow. Past DEDUP_TIMEOUT (800 ms by default) they become 503 ' +
          'dedup_unavailable; before that, submissions wait for them.',
      }),
    ],
  };
}
