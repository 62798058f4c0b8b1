import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { loadConfig } from '../../backend/config.ts';
import { createLogger } from '../../backend/logger.ts';
import { createBackend, type Backend } from '../../backend/server.ts';
import { forEachRecord } from '../../backend/wal/reader.ts';
import { freePort, waitForPort } from './ports.ts';

export const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

export interface RunningBackend {
  /** `https://…` when TLS_CERT_FILE is set. */
  url: string;
  /** The plain-HTTP probes listener, when ADMIN_PORT is set (`'0'` picks a free port). */
  adminUrl?: string;
  backend: Backend;
  walDir: string;
  close(): Promise<void>;
}

export interface StartOptions {
  /** The backend's logger; silent unless FLK_TEST_LOG names a level. */
  log?: Logger;
}

/** A backend in this process on a real loopback socket, configured like `npm run backend`. */
export async function startBackend(
  env: Record<string, string> = {},
  options: StartOptions = {},
): Promise<RunningBackend> {
  const walDir = env.WAL_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'flk-wal-'));
  const cfg = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    POD_NAME: 'test-pod',
    ...env,
    WAL_DIR: walDir,
  });
  const log = options.log ?? createLogger(process.env.FLK_TEST_LOG ?? 'silent');
  const backend = await createBackend(cfg, log);
  const { url, adminUrl } = await backend.listen();
  return {
    url,
    adminUrl,
    backend,
    walDir,
    close: () => backend.close(),
  };
}

export interface BackendProcess {
  /** `https://…` when TLS_CERT_FILE is set. */
  url: string;
  /** The plain-HTTP probes listener, with `{ admin: true }`. */
  adminUrl?: string;
  child: ChildProcess;
  stderr: () => string;
  /** The process's log lines so far; empty unless started with `{ stdout: true }`. */
  stdout: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface SpawnOptions {
  /** Also listen on a free ADMIN_PORT (unless `env` names one) and wait for it. */
  admin?: boolean;
  /** Keep the log lines (stdout) for `stdout()`; they are dropped by default. */
  stdout?: boolean;
}

/**
 * The backend as its own process, started the way `npm run backend` starts it but without the
 * tsx wrapper process, so that a SIGKILL reaches the server itself.
 */
export async function spawnBackend(
  env: Record<string, string>,
  options: SpawnOptions = {},
): Promise<BackendProcess> {
  const port = await freePort();
  // An ADMIN_PORT the caller chose is used as given; `{ admin: true }` picks a free one.
  const adminPort = Number(env.ADMIN_PORT)
    ? Number(env.ADMIN_PORT)
    : options.admin
      ? await freePort()
      : undefined;
  let err = '';
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'backend/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      ...env,
      ...(adminPort !== undefined && { ADMIN_PORT: String(adminPort) }),
    },
    stdio: ['ignore', options.stdout ? 'pipe' : 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  await Promise.race([
    (async () => {
      await waitForPort(port, 30_000);
      // The admin listener is bound right after the ingest one.
      if (adminPort !== undefined) await waitForPort(adminPort, 30_000);
    })(),
    exited.then((code) => {
      throw new Error(`backend exited with ${code} before listening: ${err}`);
    }),
  ]);
  return {
    url: `${env.TLS_CERT_FILE ? 'https' : 'http'}://127.0.0.1:${port}`,
    adminUrl: adminPort === undefined ? undefined : `http://127.0.0.1:${adminPort}`,
    child,
    stderr: () => err,
    stdout: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * Starts `backend/main.ts` with an environment it is expected to refuse, and waits for it to
 * exit (killed after `timeoutMs` if it does not). Exit code and stderr, for start-up checks.
 */
export async function backendExit(
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'backend/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(kill);
  return { code, stderr, stdout };
}

/** POSTs a body to the submit route; returns status, headers and the parsed JSON answer. */
export async function submit(
  url: string,
  body: string | Buffer,
  /** `null` sends no Content-Type header at all. */
  contentType: string | null = 'application/json',
) {
  const res = await fetch(`${url}/v1/pcs/submit`, {
    method: 'POST',
    headers: contentType ? { 'content-type': contentType } : {},
    // A Blob carries no type, so fetch adds no Content-Type of its own.
    body: new Blob([body]),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return {
    status: res.status,
    headers: res.headers, // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers loosely
    json: json as Record<string, any>,
    text,
  };
}

/** Every request body recorded under a WAL root, in order, as text. */
export async function walBodies(walDir: string): Promise<string[]> {
  const out: string[] = [];
  await forEachRecord(walDir, (r) => void out.push(r.body.toString('utf8')));
  return out;
}
