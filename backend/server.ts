import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { keysFromEnv } from '../pcs/keys.ts';
import type { BackendConfig } from './config.ts';
import { openDedupStore } from './dedup/factory.ts';
import { MemoryDedupStore } from './dedup/memory.ts';
import type { DedupStore } from './dedup/store.ts';
import { buildAdminApp, buildApp, type App } from './http/app.ts';
import { Ingest } from './ingest/pipeline.ts';
import { replayWal, type ReplayCounts } from './ingest/replay-wal.ts';
import { KeySource } from './keys/key-source.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { CertSource } from './tls/cert-source.ts';
import { WalWriter } from './wal/writer.ts';

/** Replay starts this far before the snapshot, for records whose store write raced the save. */
const SNAPSHOT_REPLAY_MARGIN_MS = 60_000;
/** With a remote store, only records this recent can have missed it (a crash mid-request). */
const REMOTE_REPLAY_WINDOW_MS = 15 * 60_000;

export interface Backend {
  /** The ingest listener (PORT): every route, HTTPS when TLS_CERT_FILE is set. */
  app: App;
  /** The plain-HTTP probes and metrics listener (ADMIN_PORT), when configured. */
  admin: App | undefined;
  /** The serving certificate in force, when TLS is on. */
  certs: CertSource | undefined;
  ingest: Ingest;
  store: DedupStore;
  wal: WalWriter;
  keys: KeySource | undefined;
  metrics: Metrics;
  /** Resolves when the start-up replay has finished. */
  replayed: Promise<ReplayCounts | undefined>;
  /** Listens on HOST:PORT, and on ADMIN_HOST:ADMIN_PORT when set; returns the URLs bound. */
  listen(): Promise<{ url: string; adminUrl?: string }>;
  close(): Promise<void>;
}

/**
 * Wires the backend from its configuration: WAL, store, keys, ingest and HTTP app. Used by
 * main.ts, by the demo and by the tests, so all three run the same composition.
 */
export async function createBackend(cfg: BackendConfig, log: Logger): Promise<Backend> {
  const startedAtMs = Date.now();
  const metrics = createMetrics({ walDir: cfg.walDir });
  // First, so that unusable certificate files stop the start before anything is opened.
  const certs = cfg.tls
    ? await CertSource.start({ files: cfg.tls, log: log.child({ component: 'tls' }), metrics })
    : undefined;
  const wal = await WalWriter.open({
    walDir: cfg.walDir,
    writer: cfg.podName,
    segmentBytes: cfg.walSegmentBytes,
    segmentMaxAgeMs: cfg.walSegmentMaxAgeMs,
    sync: cfg.walSync,
    onFlush: (b) => {
      metrics.walFsyncSeconds.observe(b.syncSeconds);
      metrics.walBatchRecords.observe(b.records);
    },
  });
  const { store, keys, signing } = await openStoreAndKeys(cfg, log, metrics);
  const ingest = new Ingest({
    wal,
    store,
    keys,
    tolerances: cfg.tolerances,
    dedupTtlMs: cfg.dedupTtlMs,
    metrics,
  });

  let replayDone = false;
  const replayed = startReplay(cfg, { ingest, store, log, metrics, untilMs: startedAtMs }).then(
    (counts) => {
      replayDone = true;
      return counts;
    },
    (err: Error) => {
      log.error({ err }, 'WAL replay failed; restart to retry');
      return undefined;
    },
  );
  if (store instanceof MemoryDedupStore) await replayed;

  const readiness = async () => {
    const storeOk = await store.ping().then(
      () => true,
      () => false,
    );
    // Kubelet probes this every few seconds, so the gauge follows the store with no traffic.
    metrics.dedupStoreUp.set({ backend: store.kind }, storeOk ? 1 : 0);
    const keyIds = keys?.keyIds ?? [];
    const keysOk = !signing || keyIds.length > 0;
    // A WAL that cannot record (a full or failing volume) refuses every submit: take the pod
    // out of the Service until an append succeeds again.
    const walOk = wal.lastFailure === undefined;
    return {
      ready: storeOk && keysOk && replayDone && walOk,
      detail: {
        store: storeOk ? 'ok' : 'unreachable',
        wal: walOk ? 'ok' : 'failing',
        keyIds,
        signing,
        replayDone,
      },
    };
  };
  const probes = {
    metrics,
    log,
    requestTimeoutMs: cfg.requestTimeoutMs,
    metricsAuth:
      cfg.metricsUser && cfg.metricsPass
        ? { user: cfg.metricsUser, pass: cfg.metricsPass }
        : undefined,
    readiness,
  };
  const app = buildApp({
    ...probes,
    ingest,
    bodyLimit: cfg.bodyLimit,
    tokenRate: cfg.tokenRate,
    tokenBurst: cfg.tokenBurst,
    tls: certs,
  });
  const admin = cfg.admin ? buildAdminApp(probes) : undefined;

  return {
    app,
    admin,
    certs,
    ingest,
    store,
    wal,
    keys,
    metrics,
    replayed,
    async listen() {
      await listenOn(
        app,
        { host: cfg.host, port: cfg.port },
        ['HOST', 'PORT'],
        certs !== undefined,
      );
      const url = urlOf(app, certs ? 'https' : 'http');
      if (!admin || !cfg.admin) return { url };
      await listenOn(admin, cfg.admin, ['ADMIN_HOST', 'ADMIN_PORT']);
      return { url, adminUrl: urlOf(admin, 'http') };
    },
    async close() {
      await Promise.all([app.close(), admin?.close()]);
      certs?.close();
      keys?.close();
      await wal.close();
      await store.close();
    },
  };
}

/** An address the backend cannot listen on; the message names the variable to change. */
export class ListenError extends Error {
  constructor(message: string, options: ErrorOptions) {
    super(message, options);
    this.name = 'ListenError';
  }
}

/**
 * Listens, or throws a ListenError of one line naming the variable (a port in use or not
 * allowed, an address that is not this host's) instead of a stack trace.
 */
async function listenOn(
  app: App,
  at: { host: string; port: number },
  [hostVar, portVar]: [string, string],
  https = false,
): Promise<void> {
  try {
    await app.listen({
      ...at,
      // Fastify sees the server our factory built as plain HTTP and would log `http://` for it.
      ...(https && {
        listenTextResolver: (address: string) =>
          `Server listening at ${address.replace(/^http:/, 'https:')}`,
      }),
    });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string') throw err;
    const variable = code === 'EADDRINUSE' || code === 'EACCES' ? portVar : hostVar;
    throw new ListenError(`${variable}: cannot listen on ${at.host}:${at.port} (${code})`, {
      cause: err,
    });
  }
}

/** The URL of the address bound (Fastify's own text says http:// for a server built outside it). */
function urlOf(app: App, scheme: 'http' | 'https'): string {
  const a = app.server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return `${scheme}://${host}:${a.port}`;
}

/** The store and the verifier keys, shared by the server and the `wal replay` command. */
export async function openStoreAndKeys(cfg: BackendConfig, log: Logger, metrics: Metrics) {
  const storeLog = log.child({ component: 'dedup', backend: cfg.dedupBackend });
  const store = await openDedupStore(cfg, (err) => storeLog.warn({ err }, 'dedup store error'));

  const envKeys = keysFromEnv({
    alg: cfg.signAlg,
    hmacKey: cfg.hmacKey,
    ed25519PubB64: cfg.ed25519PubB64,
    schemes: cfg.signSchemes,
  });
  const signing = cfg.signAlg !== 'none' || cfg.keysDirs.length > 0;
  const keys = signing
    ? await KeySource.start({
        envKeys,
        dirs: cfg.keysDirs,
        pollMs: cfg.keysPollMs,
        log: log.child({ component: 'keys' }),
        metrics,
      })
    : undefined;
  if (!signing) log.warn('PCS_SIGN_ALG=none: signatures are not checked (development only)');
  return { store, keys, signing };
}

async function startReplay(
  cfg: BackendConfig,
  d: { ingest: Ingest; store: DedupStore; log: Logger; metrics: Metrics; untilMs: number },
): Promise<ReplayCounts | undefined> {
  if (!cfg.replayOnStart) return undefined;
  const now = Date.now();
  const sinceMs =
    d.store instanceof MemoryDedupStore
      ? d.store.savedAtMs === undefined
        ? undefined
        : d.store.savedAtMs - SNAPSHOT_REPLAY_MARGIN_MS
      : now - REMOTE_REPLAY_WINDOW_MS;

  // A remote store may still be coming up: keep trying, the backend stays unready meanwhile.
  for (let attempt = 1; ; attempt++) {
    try {
      const counts = await replayWal({
        walDir: cfg.walDir,
        ingest: d.ingest,
        sinceMs,
        untilMs: d.untilMs,
        nowMs: now,
        log: d.log,
        metrics: d.metrics,
      });
      d.log.info({ ...counts, sinceMs }, 'WAL replay finished');
      return counts;
    } catch (err) {
      if (attempt >= 30) throw err;
      d.log.warn({ err, attempt }, 'WAL replay interrupted; retrying');
      await new Promise((r) => setTimeout(r, Math.min(200 * attempt, 2_000)));
    }
  }
}
