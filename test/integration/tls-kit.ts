/**
 * What the TLS integration tests (backend-tls, attack-tls) share: signed records, polling, a
 * captured log, one metric from the admin listener, and an in-process backend
 * serving mTLS from a kubelet-style Secret folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../backend/logger.ts';
import { formatRecord } from '../../pcs/record.ts';
import { buildRecord, hmacMaterial, signRecord } from '../../pcs/sign.ts';
import { startBackend, type RunningBackend } from '../harness/backend.ts';
import type { ClientTls } from '../harness/https-client.ts';
import { createPki, tlsSecretData, type Issued, type TestPki } from '../harness/pki.ts';
import { projectSecret } from '../harness/secret-projection.ts';

export const HMAC_KEY = 'tls-test-hmac-key-0123456789abcdef';
const signer = { scheme: 'hmac-sha256' as const, key: hmacMaterial(HMAC_KEY) };
let seq = 0;

/** A signed record whose shard_id starts with `tag`, so the WAL can be searched for it. */
export const signed = (tag = 'tls') =>
  formatRecord(
    signRecord(buildRecord({ shard_id: `${tag}-${process.pid}-${++seq}`, epoch: seq }), signer),
  );

/** Polls until the check passes; the cap is generous and only there to end a broken run. */
export async function until(
  check: () => Promise<boolean>,
  what: string,
  tries = 300,
): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The value of one series on the admin listener's /metrics (0 when it has none yet). */
export async function metric(
  adminUrl: string,
  series: string,
  headers: Record<string, string> = {},
): Promise<number> {
  const text = await fetch(`${adminUrl}/metrics`, { headers }).then((r) => r.text());
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

export /** Log lines of an in-process backend, parsed. */
function capturedLog() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return {
    log: createLogger('debug', 'flk-backend', stream),
    lines,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- log lines are read loosely
    parsed: () => lines.map((l) => JSON.parse(l) as Record<string, any>),
  };
}

export interface MtlsBackend {
  pki: TestPki;
  /** A client certificate of the trusted CA, `CN=agent-1,O=acme`. */
  agent: Issued;
  trusted: ClientTls;
  /** The kubelet-style Secret folder the backend reads tls.crt, tls.key and ca.crt from. */
  secretDir: string;
  be: RunningBackend;
  port: number;
  close(): Promise<void>;
}

/**
 * An in-process backend verifying HMAC records over mTLS with an admin listener, its files in a
 * kubelet-style Secret folder (polled every 500 ms); `env` adds to or overrides that.
 */
export async function startMtlsBackend(
  prefix: string,
  log: Logger,
  env: Record<string, string> = {},
): Promise<MtlsBackend> {
  const pki = createPki();
  const agent = pki.issueClient({ CN: 'agent-1', O: 'acme' });
  const secretDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  projectSecret(secretDir, tlsSecretData(pki.server, pki.ca), 'utf8');
  const be = await startBackend(
    {
      PCS_SIGN_ALG: 'hmac',
      PCS_HMAC_KEY: HMAC_KEY,
      TLS_CERT_FILE: path.join(secretDir, 'tls.crt'),
      TLS_KEY_FILE: path.join(secretDir, 'tls.key'),
      TLS_CLIENT_CA_FILE: path.join(secretDir, 'ca.crt'),
      TLS_POLL: '500ms',
      ADMIN_PORT: '0',
      ...env,
    },
    { log },
  );
  return {
    pki,
    agent,
    trusted: { ca: pki.ca.cert, cert: agent.cert, key: agent.key },
    secretDir,
    be,
    port: Number(new URL(be.url).port),
    close: async () => {
      await be.close();
      fs.rmSync(secretDir, { recursive: true, force: true });
      pki.cleanup();
    },
  };
}
