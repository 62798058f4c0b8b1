/**
 * What FLK really exports, scraped live for the alert and dashboard tests: a backend on a
 * loopback socket, exercised so that every histogram and labelled counter has series (signed
 * records, a duplicate, refused signatures, bad input, a restart that replays the WAL, a Redis
 * store that is not there, and HTTPS with a client CA that refuses a client without a
 * certificate), and the operator's registry with a controller that reconciles for real (one key
 * succeeding, one failing) and SigningKeys in the middle of a rotation.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { formatRecord } from '../../pcs/record.ts';
import { buildRecord, hmacMaterial, signRecord } from '../../pcs/sign.ts';
import { Controller } from '../../operator/runtime/controller.ts';
import { createOperatorMetrics } from '../../operator/runtime/metrics.ts';
import {
  registerSigningKeyMetrics,
  type SigningKeyView,
} from '../../operator/runtime/signingkey-metrics.ts';
import { startBackend, submit } from '../harness/backend.ts';
import { httpsRequest } from '../harness/https-client.ts';
import { createPki } from '../harness/pki.ts';
import { freePort } from '../harness/ports.ts';

const HMAC_KEY = 'alerts-test-hmac-key-0123456789abcdef';
const signer = { scheme: 'hmac-sha256' as const, key: hmacMaterial(HMAC_KEY) };

export interface Exported {
  /** Sample names with at least one series, e.g. `flk_http_request_duration_seconds_bucket`. */
  samples: Set<string>;
  /** The raw exposition text, for messages. */
  text: string;
}

/** Sample names of a Prometheus text exposition. */
export function sampleNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)/.exec(line);
    if (m) names.add(m[1] as string);
  }
  return names;
}

async function exercise(url: string, tag: string): Promise<void> {
  const records = Array.from({ length: 20 }, (_, i) =>
    signRecord(buildRecord({ shard_id: `alerts-${tag}-${process.pid}-${i}`, epoch: i }), signer),
  );
  for (const r of records) await submit(url, formatRecord(r));
  await submit(url, formatRecord({ ...records[0]!, attempt: 2 })); // dedup hit
  await submit(url, formatRecord({ ...records[1]!, sig: Buffer.alloc(32).toString('base64') }));
  await submit(url, formatRecord({ ...records[1]!, sig: 'not base64!' }));
  await submit(url, '{"pcs_id":');
  await submit(url, '{}', 'text/plain');
  await fetch(`${url}/ready`);
  await fetch(`${url}/health`);
}

/** Scrapes backends this function starts and stops itself. */
export async function scrapeBackends(): Promise<Exported> {
  const env = { PCS_SIGN_ALG: 'hmac', PCS_HMAC_KEY: HMAC_KEY };
  const walDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flk-alerts-wal-'));
  const texts: string[] = [];
  try {
    // A first life, then a second on the same WAL: its start-up replay counts by result.
    const first = await startBackend({ ...env, WAL_DIR: walDir });
    await exercise(first.url, 'first');
    await first.close();
    const second = await startBackend({ ...env, WAL_DIR: walDir });
    await second.backend.replayed;
    await exercise(second.url, 'second');
    texts.push(await fetch(`${second.url}/metrics`).then((r) => r.text()));
    await second.close();

    // Redis on a loopback port nothing listens on: store errors and flk_dedup_store_up 0.
    const closedPort = await freePort();
    const redis = await startBackend({
      ...env,
      WAL_DIR: path.join(walDir, 'redis'),
      DEDUP_BACKEND: 'redis',
      REDIS_ADDR: `127.0.0.1:${closedPort}`,
      DEDUP_TIMEOUT: '200ms',
      WAL_REPLAY_ON_START: 'false',
    });
    await exercise(redis.url, 'redis');
    texts.push(await fetch(`${redis.url}/metrics`).then((r) => r.text()));
    await redis.close();

    texts.push(await scrapeTlsBackend({ ...env, WAL_DIR: path.join(walDir, 'tls') }));
  } finally {
    fs.rmSync(walDir, { recursive: true, force: true });
  }
  const text = texts.join('\n');
  return { samples: sampleNames(text), text };
}

const REFUSED_MISSING = 'flk_tls_handshake_failures_total{reason="client_cert_missing"}';

/**
 * A backend serving HTTPS with a client CA, scraped on its plain-HTTP admin listener: the
 * certificate gauges of both files, and one handshake refused for want of a client certificate
 * so that the refusal counter has a series. flk_tls_reload_errors_total has one from the start.
 */
async function scrapeTlsBackend(env: Record<string, string>): Promise<string> {
  const pki = createPki();
  try {
    const be = await startBackend({
      ...env,
      TLS_CERT_FILE: pki.server.certFile,
      TLS_KEY_FILE: pki.server.keyFile,
      TLS_CLIENT_CA_FILE: pki.ca.certFile,
      ADMIN_PORT: '0',
      WAL_REPLAY_ON_START: 'false',
    });
    try {
      const answered = await httpsRequest(
        be.url,
        { ca: pki.ca.cert },
        { path: '/health', timeoutMs: 10_000 },
      ).then(
        () => true,
        () => false,
      );
      if (answered) throw new Error(`${be.url} answered a client without a certificate`);

      // The server counts the refusal when its side of the handshake fails, which may come a
      // moment after the client has given up; 50 tries of 100 ms bound the wait.
      const scrape = () => fetch(`${be.adminUrl}/metrics`).then((r) => r.text());
      let text = await scrape();
      for (let i = 0; i < 50 && !text.includes(REFUSED_MISSING); i++) {
        await new Promise((r) => setTimeout(r, 100));
        text = await scrape();
      }
      return text;
    } finally {
      await be.close();
    }
  } finally {
    pki.cleanup();
  }
}

/** SigningKeys as the operator reports them mid-rotation: one Pending, one Active, one Retiring. */
const SIGNING_KEYS: SigningKeyView[] = [
  {
    metadata: { namespace: 'ingest', name: 'agents' },
    status: {
      keys: [
        {
          kid: 'k1',
          state: 'Retiring',
          retiringAt: '2026-01-01T00:00:00Z',
          notAfter: '2026-01-15T00:00:00Z',
        },
        { kid: 'k2', state: 'Active', activatedAt: '2026-01-01T00:00:00Z' },
        { kid: 'k3', state: 'Pending', createdAt: '2026-01-31T00:00:00Z' },
      ],
      nextRotationTime: '2026-01-31T00:00:00Z',
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KeyActive',
          message: 'k2 signs',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
        {
          type: 'Degraded',
          status: 'False',
          reason: 'AsExpected',
          message: 'ok',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    },
  },
];

/** The operator's registry, fed by a real Controller run and the SigningKey gauges. */
export async function scrapeOperator(): Promise<Exported> {
  const metrics = createOperatorMetrics();
  registerSigningKeyMetrics(metrics.registry, () => SIGNING_KEYS);
  metrics.leader.set(1);

  let failures = 0;
  const controller = new Controller({
    name: 'fractallba',
    logger: pino({ level: 'silent' }),
    metrics,
    workers: 1,
    reconcile: async (req) => {
      if (req.name !== 'broken') return;
      failures += 1;
      throw new Error('the API server refused a child');
    },
  });
  controller.run();
  controller.enqueue('ingest/ok');
  controller.enqueue('ingest/broken');
  const deadline = Date.now() + 5_000;
  while (failures < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await controller.shutdown();

  const text = await metrics.registry.metrics();
  return { samples: sampleNames(text), text };
}
