/**
 * A backend for the runner to load: `backend/main.ts` in a process of its own (so the load
 * generator and the server do not share an event loop) on a free loopback port, HMAC signing with
 * the load key, memory dedup, a temporary WAL.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForPort } from '../../test/harness/ports.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface SpawnedBackend {
  url: string;
  /** Peak resident memory of the backend process so far, MiB. */
  peakRssMiB(): number;
  stop(): Promise<void>;
}

export async function spawnBackend(
  hmacKey: string,
  env: Record<string, string> = {},
): Promise<SpawnedBackend> {
  const port = await freePort();
  const walDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flk-load-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'backend/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      WAL_DIR: walDir,
      PCS_SIGN_ALG: 'hmac',
      PCS_HMAC_KEY: hmacKey,
      DEDUP_BACKEND: 'memory',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.race([
    waitForPort(port, 30_000),
    exited.then(() => {
      throw new Error('the backend exited before listening');
    }),
  ]);
  return {
    url: `http://127.0.0.1:${port}`,
    peakRssMiB() {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 102.4) / 10;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      fs.rmSync(walDir, { recursive: true, force: true });
    },
  };
}
