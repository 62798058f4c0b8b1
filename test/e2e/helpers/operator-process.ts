/**
 * The operator as a child process (`node --import tsx operator/main.ts`), the way it runs for
 * real: one process, so SIGKILL kills exactly it. Its JSON log lines are kept in memory and in a
 * file under .flk/e2e/ for reading after a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

import { freePort } from '../../harness/ports.ts';
import { REPO, kubeconfigPath } from './cluster.ts';
import { waitFor } from './wait.ts';

export interface OperatorOptions {
  /** Label for the log file and messages, e.g. `replica-a`. */
  name: string;
  namespaces: string[];
  leaderElect?: boolean;
  leaseName?: string;
  leaseNamespace?: string;
  identity?: string;
  /** Kubeconfig to run with (default: the suite's), e.g. one that impersonates a test user. */
  kubeconfig?: string;
  extraEnv?: Record<string, string>;
}

export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

export class OperatorProcess {
  readonly logs: LogLine[] = [];
  readonly logFile: string;
  private child: ChildProcess | undefined;
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  private readonly lineWaiters: Array<{
    match: (l: LogLine) => boolean;
    resolve: (l: LogLine) => void;
  }> = [];

  private constructor(
    readonly options: OperatorOptions,
    readonly port: number,
  ) {
    const dir = path.join(REPO, '.flk/e2e');
    mkdirSync(dir, { recursive: true });
    this.logFile = path.join(dir, `operator-${options.name}.log`);
  }

  static async start(options: OperatorOptions): Promise<OperatorProcess> {
    const proc = new OperatorProcess(options, await freePort());
    proc.spawn();
    return proc;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get healthURL(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts it again after it exited, with the same options, port and log file. */
  restart(): void {
    if (this.running) throw new Error(`operator ${this.options.name} is still running`);
    this.spawn();
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitReady(timeoutMs = 60_000): Promise<void> {
    await waitFor(
      `operator ${this.options.name} to be ready on ${this.healthURL}/readyz`,
      timeoutMs,
      async () => {
        if (!this.running)
          throw new Error(`operator ${this.options.name} exited; see ${this.logFile}`);
        const res = await fetch(`${this.healthURL}/readyz`).catch(() => undefined);
        return res?.status === 200;
      },
    );
  }

  async metrics(): Promise<string> {
    const res = await fetch(`${this.healthURL}/metrics`);
    return res.text();
  }

  /** The value of one sample in /metrics, e.g. `flk_operator_leader`. */
  async metric(name: string): Promise<number | undefined> {
    const line = (await this.metrics())
      .split('\n')
      .find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  }

  /** Resolves with the first log line (past or future) that matches. */
  waitForLog(what: string, match: (l: LogLine) => boolean, timeoutMs = 60_000): Promise<LogLine> {
    const seen = this.logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve };
      const timer = setTimeout(() => {
        this.lineWaiters.splice(this.lineWaiters.indexOf(waiter), 1);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for operator log: ${what} (${this.logFile})`,
          ),
        );
      }, timeoutMs);
      waiter.resolve = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
      this.lineWaiters.push(waiter);
    });
  }

  /** Sends `signal` and waits for the process to exit; resolves with how it ended. */
  async kill(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000) {
    if (!this.child || !this.exited) throw new Error('not started');
    if (this.running) this.child.kill(signal);
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }

  /** Stops it if it still runs (SIGTERM, then SIGKILL after the timeout). */
  async stop(): Promise<void> {
    if (this.running) await this.kill('SIGTERM');
  }

  private spawn(): void {
    const o = this.options;
    const args = ['--import', 'tsx', 'operator/main.ts', '--health-addr', `127.0.0.1:${this.port}`];
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KUBECONFIG: o.kubeconfig ?? kubeconfigPath(),
      FLK_WATCH_NAMESPACES: o.namespaces.join(','),
      FLK_LEADER_ELECT: o.leaderElect ? 'true' : 'false',
      LOG_LEVEL: 'debug',
      ...(o.leaseName && { FLK_LEASE_NAME: o.leaseName }),
      ...(o.leaseNamespace && { FLK_LEASE_NAMESPACE: o.leaseNamespace }),
      ...(o.identity && { FLK_IDENTITY: o.identity }),
      ...o.extraEnv,
    };
    const child = spawn(process.execPath, args, {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );

    const file = createWriteStream(this.logFile, { flags: 'a' });
    file.write(`--- start pid ${child.pid} ${new Date().toISOString()}\n`);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (text) => {
      file.write(`${text}\n`);
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { level: 'raw', msg: text };
      }
      line.pid = child.pid;
      this.logs.push(line);
      for (const waiter of [...this.lineWaiters]) {
        if (waiter.match(line)) {
          this.lineWaiters.splice(this.lineWaiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => file.write(chunk));
    child.once('exit', (code, signal) => file.end(`--- exit code=${code} signal=${signal}\n`));
  }
}
