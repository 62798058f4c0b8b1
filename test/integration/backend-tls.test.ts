/**
 * HTTPS and mTLS on the ingest listener, the plain-HTTP admin listener, and the serving
 * certificate reloaded from a kubelet-style Secret folder. Real sockets on 127.0.0.1, real
 * certificates from the openssl CLI, real files.
 */
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HMAC_KEY,
  capturedLog,
  metric,
  signed,
  startMtlsBackend,
  until,
  type MtlsBackend,
} from './tls-kit.ts';
import {
  backendExit,
  spawnBackend,
  submit,
  walBodies,
  type RunningBackend,
} from '../harness/backend.ts';
import { httpsRequest, submitTls, type ClientTls } from '../harness/https-client.ts';
import { createPki, tlsSecretData, type Issued, type TestPki } from '../harness/pki.ts';
import { projectSecret } from '../harness/secret-projection.ts';

/** Writes raw bytes over a TLS connection and collects what comes back until the server closes. */
function rawTls(url: string, client: ClientTls, request: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    let out = '';
    const s = tls.connect({ host: '127.0.0.1', port: Number(port), ...client }, () =>
      s.write(request),
    );
    const cap = setTimeout(() => s.destroy(new Error('no close from the server in 30 s')), 30_000);
    s.on('data', (d: Buffer) => (out += d.toString('utf8')));
    s.on('error', reject);
    s.on('close', () => {
      clearTimeout(cap);
      resolve(out);
    });
  });
}

/** The body of a PEM block without its armour lines: what a leak of it would contain. */
const pemBody = (pem: string) => pem.split('\n').slice(1, -2).join('');

describe('ingest over mTLS with an admin listener, certificate from a kubelet-style Secret', () => {
  let pki: TestPki;
  let secretDir: string;
  let be: RunningBackend;
  let agent: Issued;
  let trusted: ClientTls;
  const logs = capturedLog();

  let fixture: MtlsBackend | undefined;

  beforeAll(async () => {
    fixture = await startMtlsBackend('flk-tls-secret-', logs.log, { REQUEST_TIMEOUT: '2s' });
    ({ pki, agent, trusted, secretDir, be } = fixture);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('accepts a signed record over HTTPS from a client with a certificate of the trusted CA', async () => {
    expect(be.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const r = await submitTls(be.url, trusted, signed());
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ accepted: true, escalated: false });
    expect(r.peerFingerprint256).toBe(pki.server.fingerprint256);
  });

  it('names the verified client in the request line and in the ingest lines of that request', async () => {
    const r = await submitTls(be.url, trusted, signed());
    expect(r.status).toBe(200);
    const lines = logs.parsed();
    const done = lines.filter((l) => l.msg === 'request completed' && l.route === '/v1/pcs/submit');
    expect(done.length).toBeGreaterThan(0);
    expect(done.every((l) => l.client === 'CN=agent-1,O=acme')).toBe(true);
    const verified = lines.filter((l) => l.msg === 'signature verified');
    expect(verified.length).toBeGreaterThan(0);
    expect(verified.every((l) => l.client === agent.subject)).toBe(true);
  });

  it('refuses a client without a certificate, or with one of another CA, in the handshake; nothing reaches the WAL', async () => {
    const intruder = pki.issueClient({ CN: 'intruder', O: 'elsewhere' }, pki.otherCa);
    const attempts: Array<[string, ClientTls]> = [
      ['no-cert', { ca: pki.ca.cert }],
      ['other-ca', { ca: pki.ca.cert, cert: intruder.cert, key: intruder.key }],
    ];
    const missingBefore = await metric(
      be.adminUrl!,
      'flk_tls_handshake_failures_total{reason="client_cert_missing"}',
    );
    const untrustedBefore = await metric(
      be.adminUrl!,
      'flk_tls_handshake_failures_total{reason="client_cert_untrusted"}',
    );

    for (const [tag, tls] of attempts) {
      const err = await submitTls(be.url, tls, signed(`refused-${tag}`)).then(
        (r) => new Error(`answered ${r.status}`),
        (e: Error & { code?: string }) => e,
      );
      // No HTTP status at all: a TLS alert (certificate required) or the connection reset.
      expect(err.message).not.toMatch(/^answered/);
      expect((err as { code?: string }).code).toMatch(
        /^(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED|ECONNRESET|EPIPE|ERR_SSL_\w+)$/,
      );
    }
    // One accepted request after the refusals: once it is answered, anything the refused ones
    // had written would be in the WAL before it.
    const marker = signed('after-refusals');
    expect((await submitTls(be.url, trusted, marker)).status).toBe(200);
    const bodies = await walBodies(be.walDir);
    expect(bodies).toContain(marker);
    expect(bodies.filter((b) => b.includes('refused-'))).toEqual([]);

    expect(
      await metric(be.adminUrl!, 'flk_tls_handshake_failures_total{reason="client_cert_missing"}'),
    ).toBe(missingBefore + 1);
    expect(
      await metric(
        be.adminUrl!,
        'flk_tls_handshake_failures_total{reason="client_cert_untrusted"}',
      ),
    ).toBe(untrustedBefore + 1);
  });

  it('serves health, readiness and metrics on the admin port over plain HTTP, and no submit route there', async () => {
    expect(be.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${be.adminUrl}/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('OK');
    expect((await fetch(`${be.adminUrl}/ready`)).status).toBe(200);
    const metrics = await fetch(`${be.adminUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^flk_tls_cert_not_after_seconds\{cert="serving"\} \d+$/m);
    expect(metrics).toMatch(/^flk_tls_cert_not_after_seconds\{cert="client_ca"\} \d+$/m);
    expect(metrics).toMatch(/^flk_tls_reload_errors_total 0$/m);

    const onAdmin = await submit(be.adminUrl!, signed('admin'));
    expect(onAdmin.status).toBe(404);

    // The ingest port still serves the probes, but only to a client with a certificate.
    expect((await httpsRequest(be.url, trusted, { path: '/health' })).text).toBe('OK');
    await expect(httpsRequest(be.url, { ca: pki.ca.cert }, { path: '/health' })).rejects.toThrow();
    await expect(fetch(`http://${new URL(be.url).host}/health`)).rejects.toThrow();
  });

  it('answers framing the HTTP parser refuses with the JSON error shape, over TLS too', async () => {
    const out = await rawTls(
      be.url,
      trusted,
      'POST /v1/pcs/submit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\n{"a":\r\n0\r\n\r\n',
    );
    expect(out.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4))).toMatchObject({
      error: { code: 'bad_request' },
    });
  });

  it('cuts off a body that stops arriving with a 408 over TLS (REQUEST_TIMEOUT applies to HTTPS)', async () => {
    const out = await rawTls(
      be.url,
      trusted,
      'POST /v1/pcs/submit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 1000\r\n\r\n{"partial":',
    );
    expect(out.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4))).toMatchObject({
      error: { code: 'request_timeout' },
    });
  });

  it('closes a connection that never finishes its handshake', async () => {
    const before = await metric(be.adminUrl!, 'flk_tls_handshake_failures_total{reason="timeout"}');
    const { port } = new URL(be.url);
    const sock = net.connect(Number(port), '127.0.0.1');
    // Nothing is sent; the server's handshake timeout (bounded by REQUEST_TIMEOUT) must end it.
    const closed = await new Promise<boolean>((resolve) => {
      const cap = setTimeout(() => resolve(false), 30_000);
      sock.on('close', () => {
        clearTimeout(cap);
        resolve(true);
      });
      sock.on('error', () => undefined);
    });
    sock.destroy();
    expect(closed).toBe(true);
    await until(
      async () =>
        (await metric(be.adminUrl!, 'flk_tls_handshake_failures_total{reason="timeout"}')) > before,
      'the handshake timeout to be counted',
    );
  });

  it('serves a certificate rotated kubelet-style to new connections without a restart, and every request during the swap succeeds', async () => {
    let stop = false;
    const statuses = new Map<number, number>();
    const seen = new Set<string>();
    const failures: string[] = [];
    // Four agents, each a bounded loop of fresh connections, until the new certificate shows.
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 1_000 && !stop; i++) {
          try {
            const r = await submitTls(be.url, trusted, signed('swap'));
            statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
            seen.add(r.peerFingerprint256);
          } catch (err) {
            failures.push((err as Error).message);
          }
        }
      }),
    );

    projectSecret(secretDir, tlsSecretData(pki.rotatedServer, pki.ca), 'utf8');
    await until(
      async () =>
        (await httpsRequest(be.url, trusted, { path: '/health' })).peerFingerprint256 ===
        pki.rotatedServer.fingerprint256,
      'the rotated certificate to be served',
    );
    stop = true;
    await load;

    expect(failures).toEqual([]);
    expect([...statuses.keys()]).toEqual([200]);
    expect(
      [...seen].every((f) => [pki.server, pki.rotatedServer].some((c) => c.fingerprint256 === f)),
    ).toBe(true);
    const reloaded = logs.parsed().find((l) => l.msg === 'TLS certificate reloaded');
    expect(reloaded?.serving?.[0]?.fingerprint256).toBe(pki.rotatedServer.fingerprint256);
    expect(reloaded?.serving?.[0]?.subject).toBe(pki.rotatedServer.subject);
  });

  it('keeps the certificate in force when the new certificate and key do not match, and counts the refusal', async () => {
    const before = await metric(be.adminUrl!, 'flk_tls_reload_errors_total');
    // A certificate of one pair with the key of another: what a botched renewal writes.
    projectSecret(
      secretDir,
      { 'tls.crt': pki.server.cert, 'tls.key': pki.rotatedServer.key, 'ca.crt': pki.ca.cert },
      'utf8',
    );
    await until(
      async () => (await metric(be.adminUrl!, 'flk_tls_reload_errors_total')) > before,
      'the reload error to be counted',
    );

    const r = await submitTls(be.url, trusted, signed('after-mismatch'));
    expect(r.status).toBe(200);
    expect(r.peerFingerprint256).toBe(pki.rotatedServer.fingerprint256);
    const refused = logs.parsed().find((l) => l.msg?.startsWith('TLS files refused'));
    expect(refused?.level).toBe(50);
    expect(refused?.errors.join('\n')).toMatch(/TLS_KEY_FILE \(.*tls\.key\): does not match/);

    // Fixed files are picked up again.
    projectSecret(secretDir, tlsSecretData(pki.server, pki.ca), 'utf8');
    await until(
      async () =>
        (await httpsRequest(be.url, trusted, { path: '/health' })).peerFingerprint256 ===
        pki.server.fingerprint256,
      'the fixed certificate to be served',
    );
  });

  it('refuses a renewal that wrote an already expired certificate, and keeps serving the one in force', async () => {
    const expired = pki.issueServer({ expired: true });
    const before = await metric(be.adminUrl!, 'flk_tls_reload_errors_total');
    projectSecret(secretDir, tlsSecretData(expired, pki.ca), 'utf8');
    await until(
      async () => (await metric(be.adminUrl!, 'flk_tls_reload_errors_total')) > before,
      'the expired certificate to be refused',
    );
    const r = await httpsRequest(be.url, trusted, { path: '/health' });
    expect(r.peerFingerprint256).toBe(pki.server.fingerprint256);

    projectSecret(secretDir, tlsSecretData(pki.server, pki.ca), 'utf8');
  });

  it('applies a rotated client CA to new connections: agents of the old CA are refused, of the new one let in', async () => {
    const newcomer = pki.issueClient({ CN: 'agent-2', O: 'acme' }, pki.otherCa);
    const viaNewCa = { ca: pki.ca.cert, cert: newcomer.cert, key: newcomer.key };
    projectSecret(secretDir, tlsSecretData(pki.server, pki.otherCa), 'utf8');
    await until(
      () =>
        submitTls(be.url, viaNewCa, signed('new-ca')).then(
          (r) => r.status === 200,
          () => false,
        ),
      'the new client CA to be in force',
    );
    await expect(submitTls(be.url, trusted, signed('refused-old-ca'))).rejects.toThrow();

    projectSecret(secretDir, tlsSecretData(pki.server, pki.ca), 'utf8');
    await until(
      () =>
        submitTls(be.url, trusted, signed('old-ca-back')).then(
          (r) => r.status === 200,
          () => false,
        ),
      'the original client CA to be back',
    );
  });

  it('never writes a certificate or a private key into the log', () => {
    const text = logs.lines.join('\n');
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(text).not.toContain('-----BEGIN');
    for (const pem of [
      pki.server.key,
      pki.rotatedServer.key,
      agent.key,
      agent.cert,
      pki.server.cert,
    ])
      expect(text).not.toContain(pemBody(pem).slice(0, 40));
  });
});

describe('HTTPS without client certificates, backend as its own process', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = createPki();
  });
  afterAll(() => pki.cleanup());

  it('answers any client over HTTPS and says so in its start-up line', async () => {
    const walDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flk-tls-wal-'));
    const proc = await spawnBackend(
      {
        PCS_SIGN_ALG: 'hmac',
        PCS_HMAC_KEY: HMAC_KEY,
        WAL_DIR: walDir,
        TLS_CERT_FILE: pki.server.certFile,
        TLS_KEY_FILE: pki.server.keyFile,
        LOG_LEVEL: 'info',
      },
      { admin: true, stdout: true },
    );
    try {
      const r = await submitTls(proc.url, { ca: pki.ca.cert }, signed('one-way'));
      expect(r.status).toBe(200);
      expect((await fetch(`${proc.adminUrl}/health`)).status).toBe(200);
      await until(async () => proc.stdout().includes('backend listening'), 'the start-up line');
      const line = proc
        .stdout()
        .split('\n')
        .map((l) => JSON.parse(l || '{}') as Record<string, unknown>)
        .find((l) => l.msg === 'backend listening');
      expect(line).toMatchObject({ address: proc.url, adminAddress: proc.adminUrl, tls: 'on' });
      // Fastify's own line agrees on the scheme of the ingest port.
      expect(proc.stdout()).toContain(`"Server listening at ${proc.url}"`);
      expect(proc.stdout()).not.toContain('-----BEGIN');
    } finally {
      await proc.stop();
      fs.rmSync(walDir, { recursive: true, force: true });
    }
  });
});

describe('start-up with TLS files or settings it cannot use', () => {
  let pki: TestPki;
  let walDir: string;
  beforeAll(() => {
    pki = createPki();
    walDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flk-tls-wal-'));
  });
  afterAll(() => {
    pki.cleanup();
    fs.rmSync(walDir, { recursive: true, force: true });
  });

  it.each([
    [
      'a certificate file that does not exist',
      () => ({
        TLS_CERT_FILE: path.join(pki.dir, 'missing.crt'),
        TLS_KEY_FILE: pki.server.keyFile,
      }),
      1,
      /^flk-backend: failed to start: TLS_CERT_FILE \(.*missing\.crt\): cannot read \(ENOENT\)$/,
    ],
    [
      // Nothing may be logged before the one line, not even about watching the missing folder.
      'a certificate in a folder that does not exist',
      () => ({
        TLS_CERT_FILE: path.join(pki.dir, 'no-such-folder', 'tls.crt'),
        TLS_KEY_FILE: pki.server.keyFile,
      }),
      1,
      /^flk-backend: failed to start: TLS_CERT_FILE \(.*tls\.crt\): cannot read \(ENOENT\)$/,
    ],
    [
      'a key that does not match the certificate',
      () => ({ TLS_CERT_FILE: pki.server.certFile, TLS_KEY_FILE: pki.rotatedServer.keyFile }),
      1,
      /^flk-backend: failed to start: TLS_KEY_FILE \(.*\): does not match the certificate in TLS_CERT_FILE \(.*\)$/,
    ],
    [
      'a client CA file that holds a key instead of certificates',
      () => ({
        TLS_CERT_FILE: pki.server.certFile,
        TLS_KEY_FILE: pki.server.keyFile,
        TLS_CLIENT_CA_FILE: pki.ca.keyFile,
        ADMIN_PORT: '0',
      }),
      1,
      /^flk-backend: failed to start: TLS_CLIENT_CA_FILE \(.*\): no PEM certificate in the file$/,
    ],
    [
      'a client CA without an admin listener',
      () => ({
        TLS_CERT_FILE: pki.server.certFile,
        TLS_KEY_FILE: pki.server.keyFile,
        TLS_CLIENT_CA_FILE: pki.ca.certFile,
      }),
      2,
      /^flk-backend: invalid configuration: TLS_CLIENT_CA_FILE: kubelet and Prometheus have no client certificate; set ADMIN_PORT$/,
    ],
    [
      'a certificate without its key',
      () => ({ TLS_CERT_FILE: pki.server.certFile }),
      2,
      /^flk-backend: invalid configuration: TLS_KEY_FILE: /,
    ],
  ])('%s: exits with one line naming the variable', async (_what, env, code, line) => {
    const r = await backendExit({ ...env(), WAL_DIR: walDir });
    expect(r.code).toBe(code);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(r.stderr).not.toContain('-----BEGIN');
    expect(r.stdout).toBe('');
  });
});
