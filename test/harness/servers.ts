import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from './ports.ts';

/**
 * Real Redis and PostgreSQL servers from Debian's packages, each on a loopback port of its own
 * with its data in a temporary folder. `stop()` and `start()` keep port and data, so outage
 * tests can take a server away and bring the same one back.
 */
export interface TestServer {
  readonly port: number;
  readonly url: string;
  start(): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<void>;
  destroy(): Promise<void>;
}

function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill(signal);
  });
}

export async function startRedis(): Promise<TestServer> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flk-redis-'));
  let child: ChildProcess | undefined;
  const server: TestServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      child = spawn(
        'redis-server',
        [
          '--bind',
          '127.0.0.1',
          '--port',
          String(port),
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      await waitForPort(port);
    },
    stop: (signal = 'SIGTERM') => stopChild(child, signal),
    async destroy() {
      await stopChild(child, 'SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

function pgBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a))
    : [];
  for (const v of versions) {
    const p = path.join(root, v, 'bin', name);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(
    `PostgreSQL's ${name} not found under ${root}; install Debian's postgresql package`,
  );
}

/**
 * PostgreSQL refuses to run as root; as root (CI) it runs as Debian's `postgres` user. Spawning
 * with uid/gid (rather than through su) keeps the server our direct child, so signals reach it.
 */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

export async function startPostgres(): Promise<TestServer> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flk-pg-'));
  const data = path.join(dir, 'data');
  const user = postgresUser();
  if (user) fs.chownSync(dir, user.uid, user.gid);
  execFileSync(
    pgBin('initdb'),
    ['-D', data, '-U', 'flk', '--auth=trust', '--no-sync', '-E', 'UTF8'],
    {
      stdio: 'ignore',
      ...user,
    },
  );

  let child: ChildProcess | undefined;
  const server: TestServer = {
    port,
    url: `postgres://flk@127.0.0.1:${port}/postgres`,
    async start() {
      const args = [
        '-D',
        data,
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'fsync=off',
      ];
      child = spawn(pgBin('postgres'), args, { stdio: ['ignore', 'ignore', 'ignore'], ...user });
      await waitForPort(port);
      await waitForPgReady(port);
    },
    stop: (signal = 'SIGTERM') => stopChild(child, signal === 'SIGTERM' ? 'SIGINT' : signal),
    async destroy() {
      await stopChild(child, 'SIGINT');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

async function waitForPgReady(port: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      execFileSync(pgBin('pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'flk'], {
        stdio: 'ignore',
      });
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`PostgreSQL on port ${port} not ready`, { cause: err });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
