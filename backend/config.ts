import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { parseDuration } from './duration.ts';
import { SCHEMES, type Scheme } from '../pcs/schemes.ts';
import { DEFAULT_TOLERANCES, type Tolerances } from '../pcs/signals.ts';

/** Everything the backend reads from its environment, validated once at start. */
export interface BackendConfig {
  host: string;
  port: number;
  signAlg: 'none' | 'hmac' | 'ed25519';
  hmacKey?: string;
  ed25519PubB64?: string;
  signSchemes?: Scheme[];
  keysDirs: string[];
  keysPollMs: number;
  dedupBackend: 'memory' | 'redis' | 'postgres';
  dedupTtlMs: number;
  dedupSnapshot?: string;
  redisAddr?: string;
  postgresConn?: string;
  storeTimeoutMs: number;
  walDir: string;
  podName: string;
  walSegmentBytes: number;
  walSegmentMaxAgeMs: number;
  walSync: 'group' | 'each';
  replayOnStart: boolean;
  tokenRate: number;
  tokenBurst: number;
  metricsUser?: string;
  metricsPass?: string;
  bodyLimit: number;
  requestTimeoutMs: number;
  tolerances: Tolerances;
  logLevel: string;
  /** HTTPS on the ingest listener (TLS_CERT_FILE, TLS_KEY_FILE); absent: plain HTTP. */
  tls?: TlsConfig;
  /** The plain-HTTP listener for probes and metrics (ADMIN_PORT); absent: none. */
  admin?: { host: string; port: number };
}

/** The serving certificate's files, reloaded when kubelet swaps the mounted Secret. */
export interface TlsConfig {
  /** PEM certificate, leaf first, then any intermediates. */
  certFile: string;
  /** PEM private key of the leaf (unencrypted). */
  keyFile: string;
  /** PEM CA bundle; when set, every ingest client must present a certificate it signed. */
  clientCaFile?: string;
  pollMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_PORT = 8080;

const duration = z.string().transform((s, ctx) => {
  try {
    return parseDuration(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});
const positiveDuration = duration.pipe(
  z.number().min(100, 'must be at least 100ms (it is a poll interval)'),
);
const intFrom = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
const numberFrom = z
  .string()
  .regex(/^-?\d+(\.\d+)?$/, 'must be a decimal number')
  .transform(Number);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const schemeList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(
        z.enum(SCHEMES as unknown as [Scheme, ...Scheme[]], `must list only ${SCHEMES.join(', ')}`),
      )
      .min(1, 'must name at least one scheme'),
  );
const dirList = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

/** Environment variable → validator. Unset or empty variables take the defaults below. */
const VARS = {
  HOST: z.string().min(1),
  PORT: intFrom(0, 65535),
  PCS_SIGN_ALG: z.enum(['none', 'hmac', 'ed25519'], 'must be none, hmac or ed25519'),
  PCS_HMAC_KEY: z.string().min(1),
  PCS_ED25519_PUB_B64: z.string().min(1),
  PCS_SIGN_SCHEMES: schemeList,
  PCS_KEYS_DIR: dirList,
  PCS_KEYS_POLL: duration,
  DEDUP_BACKEND: z.enum(['memory', 'redis', 'postgres'], 'must be memory, redis or postgres'),
  DEDUP_TTL: duration,
  DEDUP_SNAPSHOT: z.string().min(1),
  DEDUP_TIMEOUT: duration,
  REDIS_ADDR: z.string().min(1),
  POSTGRES_CONN: z.string().min(1),
  WAL_DIR: z.string().min(1),
  POD_NAME: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a plain folder name'),
  WAL_SEGMENT_BYTES: intFrom(4096),
  WAL_SEGMENT_MAX_AGE: duration,
  WAL_SYNC: z.enum(['group', 'each'], 'must be group or each'),
  WAL_REPLAY_ON_START: bool,
  TOKEN_RATE: numberFrom.pipe(z.number().min(0, 'must be >= 0 (0 turns rate limiting off)')),
  TOKEN_BURST: intFrom(1),
  METRICS_USER: z.string().min(1),
  METRICS_PASS: z.string().min(1),
  BODY_LIMIT: intFrom(256, 16 * 1024 * 1024),
  REQUEST_TIMEOUT: duration,
  VERIFY_TOL_D: numberFrom,
  VERIFY_TOL_COH: numberFrom,
  VERIFY_ALPHA: numberFrom,
  VERIFY_BETA: numberFrom,
  VERIFY_GAMMA: numberFrom,
  VERIFY_BASE: numberFrom,
  VERIFY_D0: numberFrom,
  TLS_CERT_FILE: z.string().min(1),
  TLS_KEY_FILE: z.string().min(1),
  TLS_CLIENT_CA_FILE: z.string().min(1),
  TLS_POLL: positiveDuration,
  ADMIN_HOST: z.string().min(1),
  ADMIN_PORT: intFrom(0, 65535),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
} as const;

type Parsed = { [K in keyof typeof VARS]?: z.output<(typeof VARS)[K]> };

/**
 * Reads the whole configuration at once and reports every bad variable, one line each, so a
 * broken Deployment is fixed in one round rather than one variable per restart.
 */
export function loadConfig(env: Env = process.env): BackendConfig {
  const problems: string[] = [];
  const v: Parsed = {};
  for (const [name, schema] of Object.entries(VARS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const res = (schema as z.ZodType).safeParse(raw);
    if (res.success) (v as Record<string, unknown>)[name] = res.data;
    else
      problems.push(
        `${name}: ${res.error.issues[0]?.message ?? 'invalid'} (got "${redact(name, raw)}")`,
      );
  }

  const signAlg = v.PCS_SIGN_ALG ?? 'none';
  const keysDirs = v.PCS_KEYS_DIR ?? [];
  if (signAlg === 'hmac' && !v.PCS_HMAC_KEY)
    problems.push('PCS_HMAC_KEY: required when PCS_SIGN_ALG=hmac');
  if (signAlg === 'ed25519' && !v.PCS_ED25519_PUB_B64)
    problems.push('PCS_ED25519_PUB_B64: required when PCS_SIGN_ALG=ed25519');
  if (
    signAlg === 'none' &&
    env.PCS_SIGN_ALG === undefined &&
    keysDirs.length === 0 &&
    env.PCS_HMAC_KEY
  )
    problems.push(
      'PCS_SIGN_ALG: PCS_HMAC_KEY is set but PCS_SIGN_ALG is not; set PCS_SIGN_ALG=hmac',
    );
  const dedupBackend = v.DEDUP_BACKEND ?? 'memory';
  if (dedupBackend === 'redis' && !v.REDIS_ADDR)
    problems.push('REDIS_ADDR: required when DEDUP_BACKEND=redis');
  if (dedupBackend === 'postgres' && !v.POSTGRES_CONN)
    problems.push('POSTGRES_CONN: required when DEDUP_BACKEND=postgres');
  if ((v.METRICS_USER === undefined) !== (v.METRICS_PASS === undefined))
    problems.push('METRICS_PASS: METRICS_USER and METRICS_PASS must be set together');
  problems.push(...listenerProblems(v));
  if (problems.length > 0) throw new ConfigError(problems);

  const walDir = path.resolve(v.WAL_DIR ?? 'data/wal');
  const tokenRate = v.TOKEN_RATE ?? 0;
  return {
    host: v.HOST ?? DEFAULT_HOST,
    port: v.PORT ?? DEFAULT_PORT,
    signAlg,
    hmacKey: v.PCS_HMAC_KEY,
    ed25519PubB64: v.PCS_ED25519_PUB_B64,
    signSchemes: v.PCS_SIGN_SCHEMES,
    keysDirs,
    keysPollMs: v.PCS_KEYS_POLL ?? 10_000,
    dedupBackend,
    dedupTtlMs: v.DEDUP_TTL ?? 14 * 86_400_000,
    dedupSnapshot:
      v.DEDUP_SNAPSHOT ??
      (dedupBackend === 'memory' ? path.join(walDir, 'dedup-snapshot.json') : undefined),
    redisAddr: v.REDIS_ADDR,
    postgresConn: v.POSTGRES_CONN,
    storeTimeoutMs: v.DEDUP_TIMEOUT ?? 800,
    walDir,
    podName: v.POD_NAME ?? os.hostname(),
    walSegmentBytes: v.WAL_SEGMENT_BYTES ?? 64 * 1024 * 1024,
    walSegmentMaxAgeMs: v.WAL_SEGMENT_MAX_AGE ?? 3_600_000,
    walSync: v.WAL_SYNC ?? 'group',
    replayOnStart: v.WAL_REPLAY_ON_START ?? true,
    tokenRate,
    tokenBurst: v.TOKEN_BURST ?? Math.max(1, Math.ceil(tokenRate)),
    metricsUser: v.METRICS_USER,
    metricsPass: v.METRICS_PASS,
    bodyLimit: v.BODY_LIMIT ?? 64 * 1024,
    requestTimeoutMs: v.REQUEST_TIMEOUT ?? 10_000,
    tolerances: {
      ...DEFAULT_TOLERANCES,
      ...(v.VERIFY_TOL_D !== undefined && { tolD: v.VERIFY_TOL_D }),
      ...(v.VERIFY_TOL_COH !== undefined && { tolCoh: v.VERIFY_TOL_COH }),
      ...(v.VERIFY_ALPHA !== undefined && { alpha: v.VERIFY_ALPHA }),
      ...(v.VERIFY_BETA !== undefined && { beta: v.VERIFY_BETA }),
      ...(v.VERIFY_GAMMA !== undefined && { gamma: v.VERIFY_GAMMA }),
      ...(v.VERIFY_BASE !== undefined && { base: v.VERIFY_BASE }),
      ...(v.VERIFY_D0 !== undefined && { D0: v.VERIFY_D0 }),
    },
    logLevel: v.LOG_LEVEL ?? 'info',
    ...(v.TLS_CERT_FILE &&
      v.TLS_KEY_FILE && {
        tls: {
          certFile: path.resolve(v.TLS_CERT_FILE),
          keyFile: path.resolve(v.TLS_KEY_FILE),
          clientCaFile: v.TLS_CLIENT_CA_FILE && path.resolve(v.TLS_CLIENT_CA_FILE),
          pollMs: v.TLS_POLL ?? 10_000,
        },
      }),
    ...(v.ADMIN_PORT !== undefined && {
      admin: { host: v.ADMIN_HOST ?? v.HOST ?? DEFAULT_HOST, port: v.ADMIN_PORT },
    }),
  };
}

/** The rules that tie TLS and the admin listener together, one line per broken rule. */
function listenerProblems(v: Parsed): string[] {
  const problems: string[] = [];
  if (v.TLS_CERT_FILE && !v.TLS_KEY_FILE)
    problems.push('TLS_KEY_FILE: required when TLS_CERT_FILE is set (set both or neither)');
  if (v.TLS_KEY_FILE && !v.TLS_CERT_FILE)
    problems.push('TLS_CERT_FILE: required when TLS_KEY_FILE is set (set both or neither)');
  if (v.TLS_CLIENT_CA_FILE && !v.TLS_CERT_FILE)
    problems.push(
      'TLS_CLIENT_CA_FILE: needs TLS_CERT_FILE and TLS_KEY_FILE (client certificates are checked only over HTTPS)',
    );
  if (v.TLS_CLIENT_CA_FILE && v.ADMIN_PORT === undefined)
    problems.push(
      'TLS_CLIENT_CA_FILE: kubelet and Prometheus have no client certificate; set ADMIN_PORT',
    );
  // Without ADMIN_PORT there is no admin listener; an address for it says one was expected.
  if (v.ADMIN_HOST && v.ADMIN_PORT === undefined)
    problems.push('ADMIN_HOST: has no effect without ADMIN_PORT (set ADMIN_PORT too, or neither)');
  const port = v.PORT ?? DEFAULT_PORT;
  if (v.ADMIN_PORT !== undefined && v.ADMIN_PORT !== 0 && v.ADMIN_PORT === port)
    problems.push(`ADMIN_PORT: must differ from PORT (both are ${port})`);
  return problems;
}

/** Secrets and connection strings never reach a log line, even when they are the bad value. */
function redact(name: string, raw: string): string {
  if (/KEY|PASS|CONN|SECRET|ADDR/.test(name)) return '<redacted>';
  return raw.length > 80 ? `${raw.slice(0, 80)}…` : raw;
}
