import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';

import { parseDurationSeconds } from '../api/duration.ts';

/** A configuration value that cannot work; the message names the flag and variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface OperatorConfig {
  /** Namespaces to watch; empty means all. */
  namespaces: string[];
  leaderElect: boolean;
  leaseName: string;
  leaseNamespace: string;
  identity: string;
  healthHost: string;
  healthPort: number;
  workers: number;
  resyncMs: number;
  shutdownTimeoutMs: number;
  logLevel: string;
  /** Namespace of the operator's own pod, when known. */
  operatorNamespace?: string;
}

interface Setting {
  flag: string;
  env: string;
  help: string;
}

/** Every setting, its flag and its variable (the flag wins when both are given). */
export const SETTINGS = {
  namespaces: {
    flag: 'namespaces',
    env: 'FLK_WATCH_NAMESPACES',
    help: 'comma-separated namespaces to watch (default: all)',
  },
  leaderElect: {
    flag: 'leader-elect',
    env: 'FLK_LEADER_ELECT',
    help: 'true to elect a leader on a Lease (default: false)',
  },
  leaseName: {
    flag: 'lease-name',
    env: 'FLK_LEASE_NAME',
    help: 'name of the leader Lease (default: flk-operator)',
  },
  leaseNamespace: {
    flag: 'lease-namespace',
    env: 'FLK_LEASE_NAMESPACE',
    help: "namespace of the leader Lease (default: the pod's namespace, else default)",
  },
  identity: {
    flag: 'identity',
    env: 'FLK_IDENTITY',
    help: 'leader-election identity (default: pod name + random suffix)',
  },
  healthAddr: {
    flag: 'health-addr',
    env: 'FLK_HEALTH_ADDR',
    help: 'host:port of /healthz, /readyz, /metrics (default: 127.0.0.1:8081)',
  },
  workers: { flag: 'workers', env: 'FLK_WORKERS', help: 'reconciles run at once (default: 4)' },
  resync: {
    flag: 'resync',
    env: 'FLK_RESYNC',
    help: 'period of the full resync, e.g. 10m (default: 10m)',
  },
  shutdownTimeout: {
    flag: 'shutdown-timeout',
    env: 'FLK_SHUTDOWN_TIMEOUT',
    help: 'longest wait for in-flight work on shutdown (default: 25s)',
  },
  logLevel: {
    flag: 'log-level',
    env: 'LOG_LEVEL',
    help: 'trace, debug, info, warn or error (default: info)',
  },
} as const satisfies Record<string, Setting>;

const NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** `--help`: every flag with its variable and what it does, one per line. */
export function usage(): string {
  const lines = Object.values(SETTINGS).map(
    (s) => `  --${s.flag.padEnd(18)} ${s.env.padEnd(22)} ${s.help}`,
  );
  return `usage: flk-operator [flags]   (each flag can also be set by the variable beside it)\n${lines.join('\n')}\n`;
}

/** Reads flags, then the environment, then defaults; throws one ConfigError for the first bad value. */
export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): OperatorConfig {
  const options = Object.fromEntries(
    Object.values(SETTINGS).map((s) => [s.flag, { type: 'string' as const }]),
  );
  let flags: Record<string, string | undefined>;
  try {
    flags = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false })
      .values as Record<string, string | undefined>;
  } catch (err) {
    throw new ConfigError(
      `${(err as Error).message}; known flags: ${Object.values(SETTINGS)
        .map((s) => `--${s.flag}`)
        .join(' ')}`,
    );
  }
  const get = (s: Setting): string | undefined => flags[s.flag] ?? (env[s.env] || undefined);
  const where = (s: Setting) => `--${s.flag} / ${s.env}`;

  const namespaces = (get(SETTINGS.namespaces) ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  const badNamespace = namespaces.find((n) => !DNS_LABEL.test(n));
  if (badNamespace !== undefined) {
    throw new ConfigError(
      `${where(SETTINGS.namespaces)}: "${badNamespace}" is not a namespace name`,
    );
  }

  const leaderElect = parseBool(get(SETTINGS.leaderElect) ?? 'false', where(SETTINGS.leaderElect));
  const operatorNamespace = env.POD_NAMESPACE || readNamespaceFile();
  const leaseName = get(SETTINGS.leaseName) ?? 'flk-operator';
  const leaseNamespace = get(SETTINGS.leaseNamespace) ?? operatorNamespace ?? 'default';
  if (!DNS_LABEL.test(leaseNamespace)) {
    throw new ConfigError(
      `${where(SETTINGS.leaseNamespace)}: "${leaseNamespace}" is not a namespace name`,
    );
  }
  if (!/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(leaseName) || leaseName.length > 253) {
    throw new ConfigError(
      `${where(SETTINGS.leaseName)}: "${leaseName}" is not a valid object name`,
    );
  }

  const { host: healthHost, port: healthPort } = parseHostPort(
    get(SETTINGS.healthAddr) ?? '127.0.0.1:8081',
    where(SETTINGS.healthAddr),
  );
  const workers = parseIntIn(get(SETTINGS.workers) ?? '4', 1, 64, where(SETTINGS.workers));
  const resyncMs = parseDurationMs(get(SETTINGS.resync) ?? '10m', 10_000, where(SETTINGS.resync));
  const shutdownTimeoutMs = parseDurationMs(
    get(SETTINGS.shutdownTimeout) ?? '25s',
    1_000,
    where(SETTINGS.shutdownTimeout),
  );

  const logLevel = get(SETTINGS.logLevel) ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) {
    throw new ConfigError(
      `${where(SETTINGS.logLevel)}: must be trace, debug, info, warn or error (got "${logLevel}")`,
    );
  }

  const identity =
    get(SETTINGS.identity) ?? `${env.POD_NAME || hostname()}-${randomBytes(3).toString('hex')}`;

  return {
    namespaces,
    leaderElect,
    leaseName,
    leaseNamespace,
    identity,
    healthHost,
    healthPort,
    workers,
    resyncMs,
    shutdownTimeoutMs,
    logLevel,
    operatorNamespace,
  };
}

function readNamespaceFile(): string | undefined {
  if (!existsSync(NAMESPACE_FILE)) return undefined;
  return readFileSync(NAMESPACE_FILE, 'utf8').trim() || undefined;
}

function parseBool(value: string, where: string): boolean {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new ConfigError(`${where}: must be true or false (got "${value}")`);
}

function parseIntIn(value: string, min: number, max: number, where: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new ConfigError(
      `${where}: must be a whole number from ${min} to ${max} (got "${value}")`,
    );
  }
  return n;
}

function parseDurationMs(value: string, minMs: number, where: string): number {
  const seconds = parseDurationSeconds(value);
  if (seconds === undefined || seconds * 1000 < minMs) {
    throw new ConfigError(
      `${where}: must be a duration of at least ${minMs / 1000}s such as 30s, 10m or 1h (got "${value}")`,
    );
  }
  return seconds * 1000;
}

function parseHostPort(value: string, where: string): { host: string; port: number } {
  const match = /^(.*):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535)
    throw new ConfigError(`${where}: must be host:port such as 127.0.0.1:8081 (got "${value}")`);
  const host = (match[1] ?? '').replace(/^\[(.*)\]$/, '$1');
  return { host: host || '0.0.0.0', port };
}
