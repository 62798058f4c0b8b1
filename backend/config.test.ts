import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('loadConfig', () => {
  it('the embedded default needs no variables: memory dedup, WAL under data/, no signing', () => {
    const cfg = loadConfig({});
    expect(cfg.dedupBackend).toBe('memory');
    expect(cfg.walDir).toMatch(/data\/wal$/);
    expect(cfg.dedupSnapshot).toMatch(/data\/wal\/dedup-snapshot\.json$/);
    expect(cfg.signAlg).toBe('none');
    expect(cfg.dedupTtlMs).toBe(14 * 86_400_000);
    expect(cfg.tolerances.tolD).toBe(0.15);
  });

  it.each([
    [{ PORT: 'eighty' }, /^PORT: must be a whole number/],
    [{ PORT: '70000' }, /^PORT: must be at most 65535/],
    [{ PCS_SIGN_ALG: 'rsa' }, /^PCS_SIGN_ALG: must be none, hmac or ed25519/],
    [{ PCS_SIGN_ALG: 'hmac' }, /^PCS_HMAC_KEY: required when PCS_SIGN_ALG=hmac/],
    [{ PCS_SIGN_ALG: 'ed25519' }, /^PCS_ED25519_PUB_B64: required/],
    [{ PCS_SIGN_SCHEMES: 'hmac-sha256,rot13' }, /^PCS_SIGN_SCHEMES: must list only/],
    [{ DEDUP_BACKEND: 'sqlite' }, /^DEDUP_BACKEND: must be memory, redis or postgres/],
    [{ DEDUP_BACKEND: 'redis' }, /^REDIS_ADDR: required when DEDUP_BACKEND=redis/],
    [{ DEDUP_BACKEND: 'postgres' }, /^POSTGRES_CONN: required when DEDUP_BACKEND=postgres/],
    [{ DEDUP_TTL: '14 days' }, /^DEDUP_TTL: invalid duration/],
    [{ TOKEN_RATE: '-1' }, /^TOKEN_RATE: must be a decimal number|^TOKEN_RATE: must be >= 0/],
    [{ METRICS_USER: 'prom' }, /^METRICS_PASS: METRICS_USER and METRICS_PASS must be set together/],
    [{ WAL_SYNC: 'never' }, /^WAL_SYNC: must be group or each/],
    [{ POD_NAME: '../escape' }, /^POD_NAME: must be a plain folder name/],
    [{ PCS_HMAC_KEY: 'k' }, /^PCS_SIGN_ALG: PCS_HMAC_KEY is set but PCS_SIGN_ALG is not/],
  ])('%o is refused with a line naming the variable', (env, message) => {
    const p = problems(env);
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(message);
  });

  it('reports every bad variable at once', () => {
    expect(problems({ PORT: 'x', DEDUP_BACKEND: 'y', WAL_SYNC: 'z' })).toHaveLength(3);
  });

  it('never echoes a secret or a connection string back', () => {
    const p = problems({
      POSTGRES_CONN: '',
      DEDUP_BACKEND: 'postgres',
      REDIS_ADDR: '',
      PCS_HMAC_KEY: '',
    });
    expect(p.join('\n')).not.toMatch(/password/);
    const q = problems({ DEDUP_TTL: 'secret-ish', PCS_SIGN_ALG: 'hmac', PCS_HMAC_KEY: 'hunter2' });
    expect(q.join('\n')).not.toContain('hunter2');
  });

  it('parses the reference variables', () => {
    const cfg = loadConfig({
      PORT: '9000',
      PCS_SIGN_ALG: 'hmac',
      PCS_HMAC_KEY: 'k',
      PCS_SIGN_SCHEMES: 'hmac-sha256, hmac-sha256-payload',
      DEDUP_BACKEND: 'redis',
      REDIS_ADDR: '127.0.0.1:6379',
      TOKEN_RATE: '2.5',
      PCS_KEYS_DIR: '/a,/b',
      DEDUP_TTL: '1h30m',
    });
    expect(cfg.port).toBe(9000);
    expect(cfg.signSchemes).toEqual(['hmac-sha256', 'hmac-sha256-payload']);
    expect(cfg.tokenRate).toBe(2.5);
    expect(cfg.tokenBurst).toBe(3);
    expect(cfg.keysDirs).toEqual(['/a', '/b']);
    expect(cfg.dedupTtlMs).toBe(5_400_000);
  });
});

describe('loadConfig: TLS and the admin listener', () => {
  const tls = { TLS_CERT_FILE: '/tls/tls.crt', TLS_KEY_FILE: '/tls/tls.key' };

  it('leaves both off when none of the variables is set', () => {
    const cfg = loadConfig({});
    expect(cfg.tls).toBeUndefined();
    expect(cfg.admin).toBeUndefined();
  });

  it('turns HTTPS on with a certificate and a key, polling every 10s by default', () => {
    expect(loadConfig(tls).tls).toEqual({
      certFile: '/tls/tls.crt',
      keyFile: '/tls/tls.key',
      clientCaFile: undefined,
      pollMs: 10_000,
    });
  });

  it('turns mTLS on with a client CA and an admin port, which listens on HOST unless told', () => {
    const cfg = loadConfig({
      ...tls,
      TLS_CLIENT_CA_FILE: '/tls/ca.crt',
      TLS_POLL: '30s',
      HOST: '0.0.0.0',
      ADMIN_PORT: '9090',
    });
    expect(cfg.tls).toMatchObject({ clientCaFile: '/tls/ca.crt', pollMs: 30_000 });
    expect(cfg.admin).toEqual({ host: '0.0.0.0', port: 9090 });
    expect(loadConfig({ ADMIN_PORT: '9090', ADMIN_HOST: '127.0.0.2' }).admin).toEqual({
      host: '127.0.0.2',
      port: 9090,
    });
  });

  it.each([
    [{ TLS_CERT_FILE: '/c' }, /^TLS_KEY_FILE: required when TLS_CERT_FILE is set/],
    [{ TLS_KEY_FILE: '/k' }, /^TLS_CERT_FILE: required when TLS_KEY_FILE is set/],
    [
      { TLS_CLIENT_CA_FILE: '/ca', ADMIN_PORT: '9090' },
      /^TLS_CLIENT_CA_FILE: needs TLS_CERT_FILE and TLS_KEY_FILE/,
    ],
    [
      { ...tls, TLS_CLIENT_CA_FILE: '/ca' },
      /^TLS_CLIENT_CA_FILE: kubelet and Prometheus have no client certificate; set ADMIN_PORT$/,
    ],
    [{ PORT: '9000', ADMIN_PORT: '9000' }, /^ADMIN_PORT: must differ from PORT \(both are 9000\)/],
    [{ ADMIN_PORT: '8080' }, /^ADMIN_PORT: must differ from PORT \(both are 8080\)/],
    [{ ADMIN_HOST: '0.0.0.0' }, /^ADMIN_HOST: has no effect without ADMIN_PORT/],
    [{ ADMIN_PORT: 'metrics' }, /^ADMIN_PORT: must be a whole number/],
    [{ ...tls, TLS_POLL: '0s' }, /^TLS_POLL: must be at least 100ms/],
    [{ ...tls, TLS_POLL: 'often' }, /^TLS_POLL: invalid duration/],
  ])('%o is refused with a line naming the variable', (env, message) => {
    const p = problems(env);
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(message);
  });

  it('lets PORT and ADMIN_PORT both be 0 (each takes a free port)', () => {
    expect(loadConfig({ PORT: '0', ADMIN_PORT: '0' }).admin?.port).toBe(0);
  });

  it('reports a client CA with neither a certificate nor an admin port as two problems', () => {
    expect(problems({ TLS_CLIENT_CA_FILE: '/ca' })).toHaveLength(2);
  });
});
