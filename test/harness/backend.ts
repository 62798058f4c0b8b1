import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../backend/config.ts';
import { createLogger } from '../../backend/logger.ts';
import { createBackend, type Backend } from '../../backend/server.ts';
import { freePort, waitForPort } from './ports.ts';

export const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

export interface RunningBackend {
  url: string;
  backend: Backend;
  walDir: string;
  close(): Promise<void>;
}

/** A backend in this process on a real loopback socket, configured like `npm run backend`. */
export async function startBackend(env: Record<string, string> = {}): Promise<RunningBackend> {
  const walDir = env.WAL_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'flk-wal-'));
  const cfg = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    POD_NAME: 'test-pod',
    ...env,
    WAL_DIR: walDir,
  });
  const backend = await createBackend(cfg, createLogger(process.env.FLK_TEST_LOG ?? 'silent'));
  const address = await backend.app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: address,
    backend,
    walDir,
    close: () => backend.close(),
  };
}

export interface BackendProcess {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * The backend as its own process, started the way `npm run backend` starts it but without the
 * tsx wrapper process, so that a SIGKILL reaches the server itself.
 */
export async function spawnBackend(env: Record<string, string>): Promise<BackendProcess> {
  const port = await freePort();
  let err = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'backend/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  await Promise.race([
    waitForPort(port, 30_000),
    exited.then((code) => {
      throw new Error(`backend exited with ${code} before listening: ${err}`);
    }),
  ]);
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    stderr: () => err,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
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
