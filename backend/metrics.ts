import type { StatsFs } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricsOptions {
  /** The WAL root; when set, the free and total bytes of its filesystem are read at each scrape. */
  walDir?: string;
}

/**
 * The backend's metrics, on a registry of its own so that building the app twice in one process
 * (tests do) never collides in prom-client's global registry. The first six names are the
 * reference backend's and must not change: existing dashboards and alerts use them.
 */
export function createMetrics(options: MetricsOptions = {}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'flk_process_' });
  const r = [registry];

  return {
    registry,
    ingestTotal: new Counter({
      name: 'flk_ingest_total',
      help: 'PCS submissions received',
      registers: r,
    }),
    dedupHits: new Counter({
      name: 'flk_dedup_hits',
      help: 'Submissions answered from the dedup store',
      registers: r,
    }),
    accepted: new Counter({
      name: 'flk_accepted',
      help: 'Submissions accepted (stored outcomes)',
      registers: r,
    }),
    escalated: new Counter({
      name: 'flk_escalated',
      help: 'Submissions escalated (stored outcomes)',
      registers: r,
    }),
    signatureErrors: new Counter({
      name: 'flk_signature_errors',
      help: 'Submissions refused for their signature',
      registers: r,
    }),
    walErrors: new Counter({
      name: 'flk_wal_errors',
      help: 'WAL appends that failed',
      registers: r,
    }),

    signatureErrorsByReason: new Counter({
      name: 'flk_signature_errors_by_reason_total',
      help: 'Refused signatures by reason (bad_encoding, no_key, mismatch)',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    requestDuration: new Histogram({
      name: 'flk_http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['route', 'method', 'status'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: r,
    }),
    responses: new Counter({
      name: 'flk_http_responses_total',
      help: 'HTTP responses by route and status',
      labelNames: ['route', 'status'] as const,
      registers: r,
    }),
    rejectedInput: new Counter({
      name: 'flk_rejected_input_total',
      help: 'Submissions refused before verification, by error code',
      labelNames: ['code'] as const,
      registers: r,
    }),
    rateLimited: new Counter({
      name: 'flk_rate_limited_total',
      help: 'Requests refused with 429',
      registers: r,
    }),
    walFsyncSeconds: new Histogram({
      name: 'flk_wal_fsync_duration_seconds',
      help: 'Time of one WAL write+fdatasync (one group commit)',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: r,
    }),
    walBatchRecords: new Histogram({
      name: 'flk_wal_batch_records',
      help: 'Records made durable by one fsync',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers: r,
    }),
    walBytes: new Counter({
      name: 'flk_wal_bytes_total',
      help: 'Bytes appended to the WAL',
      registers: r,
    }),
    dedupStoreSeconds: new Histogram({
      name: 'flk_dedup_store_duration_seconds',
      help: 'Dedup store call latency by operation',
      labelNames: ['op'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: r,
    }),
    dedupStoreErrors: new Counter({
      name: 'flk_dedup_store_errors_total',
      help: 'Dedup store calls that failed or timed out',
      labelNames: ['op'] as const,
      registers: r,
    }),
    dedupStoreUp: new Gauge({
      name: 'flk_dedup_store_up',
      help: '1 when the last dedup store call succeeded',
      labelNames: ['backend'] as const,
      registers: r,
    }),
    keysLoaded: new Gauge({
      name: 'flk_keys_loaded',
      help: 'Verifier keys in use (1 per key id)',
      labelNames: ['kid', 'alg'] as const,
      registers: r,
    }),
    keyReloadErrors: new Counter({
      name: 'flk_key_reload_errors_total',
      help: 'Key directory reloads that failed or found a bad key file',
      registers: r,
    }),
    tlsReloadErrors: new Counter({
      name: 'flk_tls_reload_errors_total',
      help: 'TLS certificate reloads refused (unreadable, invalid or mismatched files); the previous certificate stays in force',
      registers: r,
    }),
    tlsCertNotAfter: new Gauge({
      name: 'flk_tls_cert_not_after_seconds',
      help: 'Earliest notAfter (unix seconds) among the certificates in force, by file (serving chain, client CA bundle)',
      labelNames: ['cert'] as const,
      registers: r,
    }),
    tlsHandshakeFailures: new Counter({
      name: 'flk_tls_handshake_failures_total',
      help: 'TLS connections refused before HTTP on the ingest listener, by reason',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    replayed: new Counter({
      name: 'flk_wal_replayed_total',
      help: 'WAL records replayed at start, by result',
      labelNames: ['result'] as const,
      registers: r,
    }),
    memoryLimit: new Gauge({
      name: 'flk_process_memory_limit_bytes',
      help: 'Memory this process may use: its cgroup limit, or the host memory without one',
      registers: r,
      collect() {
        this.set(memoryLimitBytes());
      },
    }),
    ...walVolumeGauges(r, options.walDir),
  };
}

/** process.constrainedMemory() is 0 or 2^64 when no cgroup limit applies. */
function memoryLimitBytes(): number {
  const host = totalmem();
  const limit = process.constrainedMemory?.() ?? 0;
  return limit > 0 && limit < host ? limit : host;
}

/**
 * The WAL volume as the backend itself sees it: the figures kubelet_volume_stats_* give, but
 * also outside Kubernetes and for volumes kubelet reports nothing for. One statfs per gauge and
 * scrape; a failed one keeps the last value rather than failing the scrape.
 */
function walVolumeGauges(registers: Registry[], walDir: string | undefined) {
  const gauge = (name: string, help: string, pick: (s: StatsFs) => number) =>
    new Gauge({
      name,
      help,
      registers: walDir === undefined ? [] : registers,
      async collect() {
        const s = await statfs(walDir as string).catch(() => undefined);
        if (s) this.set(pick(s));
      },
    });
  return {
    walVolumeAvailable: gauge(
      'flk_wal_volume_available_bytes',
      'Bytes available to the backend on the filesystem holding WAL_DIR',
      (s) => s.bavail * s.bsize,
    ),
    walVolumeCapacity: gauge(
      'flk_wal_volume_capacity_bytes',
      'Size in bytes of the filesystem holding WAL_DIR',
      (s) => s.blocks * s.bsize,
    ),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
