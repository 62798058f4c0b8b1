/** promtool cases of the storage and integrity groups: WAL, dedup store, signatures, dedup ratio. */
import { backend, histogram, podA, podB, s, type AlertCase } from './series.ts';

export const STORAGE_CASES: AlertCase[] = [
  {
    name: 'the WAL volume is 10 % free for 30 minutes',
    alert: 'FlkWalVolumeLow',
    series: [
      { series: s('flk_wal_volume_available_bytes', podA), values: '100x30 500x10' },
      { series: s('flk_wal_volume_capacity_bytes', podA), values: '1000x40' },
    ],
    quiet: ['2m'],
    fires: { at: '10m', labels: [backend] },
    resolved: '35m',
  },
  {
    name: 'the WAL volume is 3 % free for 20 minutes',
    alert: 'FlkWalVolumeCritical',
    series: [
      { series: s('flk_wal_volume_available_bytes', podA), values: '30x20 500x10' },
      { series: s('flk_wal_volume_capacity_bytes', podA), values: '1000x30' },
    ],
    quiet: ['1m'],
    fires: { at: '5m', labels: [backend] },
    resolved: '25m',
  },
  {
    name: 'the WAL volume, over half full, loses 1,000 bytes a minute for 2 hours, then holds',
    alert: 'FlkWalVolumeFillingUp',
    series: [
      {
        series: s('flk_wal_volume_available_bytes', podA),
        values: '450000-1000x120 330000x380',
      },
      { series: s('flk_wal_volume_capacity_bytes', podA), values: '1000000x500' },
    ],
    quiet: ['30m'],
    fires: { at: '70m', labels: [backend] },
    resolved: '495m',
  },
  {
    name: 'WAL appends fail for 5 minutes',
    alert: 'FlkWalWriteErrors',
    series: [{ series: s('flk_wal_errors', podA), values: '0x5 1+1x5 6x20' }],
    quiet: ['5m'],
    fires: { at: '8m', labels: [backend] },
    resolved: '20m',
  },
  {
    name: 'WAL fsyncs take 100-250 ms for 30 minutes, then under 10 ms',
    alert: 'FlkWalFsyncSlow',
    series: histogram('flk_wal_fsync_duration_seconds_bucket', {}, ['0.01', '0.1', '0.25'], '0.1'),
    quiet: ['5m'],
    fires: { at: '20m', labels: [backend] },
    resolved: '45m',
  },
  {
    name: 'both pods lose Redis for 15 minutes',
    alert: 'FlkRedisDown',
    series: [
      { series: s('flk_dedup_store_up', { ...podA, backend: 'redis' }), values: '1x5 0x15 1x10' },
      { series: s('flk_dedup_store_up', { ...podB, backend: 'redis' }), values: '1x5 0x15 1x10' },
    ],
    quiet: ['5m'],
    fires: { at: '10m', labels: [backend] },
    resolved: '25m',
  },
  {
    name: 'one pod of two loses Redis: the other still serves, so no page',
    alert: 'FlkRedisDown',
    series: [
      { series: s('flk_dedup_store_up', { ...podA, backend: 'redis' }), values: '0x20' },
      { series: s('flk_dedup_store_up', { ...podB, backend: 'redis' }), values: '1x20' },
    ],
    quiet: ['5m', '15m'],
  },
  {
    name: 'both pods lose PostgreSQL for 15 minutes',
    alert: 'FlkPostgresDown',
    series: [
      {
        series: s('flk_dedup_store_up', { ...podA, backend: 'postgres' }),
        values: '1x5 0x15 1x10',
      },
      {
        series: s('flk_dedup_store_up', { ...podB, backend: 'postgres' }),
        values: '1x5 0x15 1x10',
      },
    ],
    quiet: ['5m'],
    fires: { at: '10m', labels: [backend] },
    resolved: '25m',
  },
  {
    name: '5 % of dedup store calls fail for 15 minutes',
    alert: 'FlkDedupStoreErrors',
    series: [
      {
        series: s('flk_dedup_store_duration_seconds_count', { ...podA, op: 'get' }),
        values: '0+600x30',
      },
      {
        series: s('flk_dedup_store_errors_total', { ...podA, op: 'get' }),
        values: '0+30x15 450x15',
      },
    ],
    quiet: ['3m'],
    fires: { at: '10m', labels: [backend] },
    resolved: '25m',
  },
  {
    name: 'dedup lookups take 250-500 ms for 30 minutes, then under 100 ms',
    alert: 'FlkDedupStoreSlow',
    series: histogram(
      'flk_dedup_store_duration_seconds_bucket',
      { op: 'get' },
      ['0.1', '0.25', '0.5'],
      '0.25',
    ),
    quiet: ['5m'],
    fires: { at: '20m', labels: [{ ...backend, op: 'get' }] },
    resolved: '45m',
  },
  {
    name: '10 % of submissions are refused for want of a key for 20 minutes',
    alert: 'FlkSignatureFailureSpike',
    series: [
      { series: s('flk_ingest_total', podA), values: '0+600x40' },
      {
        series: s('flk_signature_errors_by_reason_total', { ...podA, reason: 'no_key' }),
        values: '0+60x20 1200x20',
      },
    ],
    quiet: ['5m'],
    fires: { at: '15m', labels: [{ ...backend, reason: 'no_key' }] },
    resolved: '30m',
  },
  {
    name: 'a few refused signatures in low traffic are no spike',
    alert: 'FlkSignatureFailureSpike',
    series: [
      { series: s('flk_ingest_total', podA), values: '0+20x40' },
      {
        series: s('flk_signature_errors_by_reason_total', { ...podA, reason: 'mismatch' }),
        values: '0+2x40',
      },
    ],
    quiet: ['15m', '30m'],
  },
  {
    name: '75 % of lookups are hits for 40 minutes, then 10 %',
    alert: 'FlkDedupHitRatioHigh',
    series: [
      {
        series: s('flk_dedup_store_duration_seconds_count', { ...podA, op: 'get' }),
        values: '0+600x80',
      },
      { series: s('flk_dedup_hits', podA), values: '0+450x40 18000+60x40' },
    ],
    quiet: ['20m'],
    fires: { at: '40m', labels: [backend] },
    resolved: '75m',
    records: [{ expr: 'flk:dedup_hit_ratio:rate30m', at: '20m', labels: backend, value: 0.75 }],
  },
  {
    name: 'after a day at 10 %, dedup hits stop for 100 minutes (the store lost its data)',
    alert: 'FlkDedupHitRatioLow',
    series: [
      {
        series: s('flk_dedup_store_duration_seconds_count', { ...podA, op: 'get' }),
        values: '0+600x1700',
      },
      { series: s('flk_dedup_hits', podA), values: '0+60x1500 90000x100 90000+60x100' },
    ],
    quiet: ['1400m'],
    fires: { at: '1580m', labels: [backend] },
    resolved: '1650m',
  },
  {
    name: 'every key reload finds a broken key file for 30 minutes',
    alert: 'FlkKeyReloadFailing',
    series: [{ series: s('flk_key_reload_errors_total', podA), values: '0+6x30 180x20' }],
    quiet: ['10m'],
    fires: { at: '20m', labels: [backend] },
    resolved: '45m',
  },
  {
    name: 'one torn read of a key directory does not alert',
    alert: 'FlkKeyReloadFailing',
    series: [{ series: s('flk_key_reload_errors_total', podA), values: '0x5 1x40' }],
    quiet: ['10m', '20m', '30m'],
  },
];
