/**
 * Attack tests for HTTPS, mTLS, the admin listener and live certificate reload: client
 * certificates that must not get in (by chain, by session resumption, on a keep-alive
 * connection after the client CA changed), what an unverified client can make the backend
 * keep or log, handshake exhaustion, hostile certificate subjects in the log, broken Secret
 * swaps, and start-up with listeners or files it cannot use. Real sockets on 127.0.0.1, real
 * certificates from the openssl CLI, real files swapped kubelet-style.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { forEachRecord } from '../../backend/wal/reader.ts';
import { backendExit, type RunningBackend } from '../harness/backend.ts';
import { httpsRequest, type ClientTls } from '../harness/https-client.ts';
import { createPki, tlsSecretData, type Issued, type TestPki } from '../harness/pki.ts';
import { projectSecret } from '../harness/secret-projection.ts';
import {
  capturedLog,
  metric as metricOf,
  signed,
  startMtlsBackend,
  until,
  type MtlsBackend,
} from './tls-kit.ts';

async function walShards(walDir: string): Promise<string[]> {
  const out: string[] = [];
  await forEachRecord(walDir, (r) => {
    try {
      out.push(String((JSON.parse(r.body.toString('utf8')) as { shard_id?: unknown }).shard_id));
    } catch {
      out.push('(not JSON)');
    }
  });
  return out;
}

const submitRequest = (body: string, headers = '') =>
  'POST /v1/pcs/submit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
  `Content-Length: ${Buffer.byteLength(body)}\r\n${headers}\r\n${body}`;

interface RawAnswer {
  /** Everything the server sent before it closed (or the cap ended the connection). */
  out: string;
  /** The client socket's error code, if any. */
  error?: string;
  /** The session the server offered for resumption, if it offered one. */
  session?: Buffer;
  /** Whether the server resumed the session offered in `options.session`. */
  reused: boolean;
}

/**
 * One TLS connection: writes `data` right away (before the handshake is done, so it is queued
 * behind it), and collects what comes back until the server closes; capped at 10 s.
 */
function rawTls(port: number, options: tls.ConnectionOptions, data: string): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const a: RawAnswer = { out: '', reused: false };
    const s = tls.connect({ host: '127.0.0.1', port, ...options }, () => {
      a.reused = s.isSessionReused();
    });
    s.write(data);
    s.on('session', (b: Buffer) => (a.session = b));
    s.on('data', (d: Buffer) => (a.out += d.toString('utf8')));
    s.on('error', (e: Error & { code?: string }) => (a.error = e.code ?? e.message));
    const cap = setTimeout(() => s.destroy(), 10_000);
    s.on('close', () => {
      clearTimeout(cap);
      resolve(a);
    });
  });
}

const statusLine = (a: RawAnswer) => a.out.split('\r\n')[0] ?? '';

/** An open TLS connection that can send several requests and tells whether the server closed it. */
class Connection {
  /** Every connection opened, so that a failed test leaves none holding the server open. */
  static readonly opened = new Set<Connection>();
  out = '';
  closed = false;
  private readonly socket: tls.TLSSocket;
  readonly ready: Promise<void>;
  constructor(port: number, client: ClientTls) {
    this.socket = tls.connect({ host: '127.0.0.1', port, ...client });
    Connection.opened.add(this);
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('secureConnect', () => resolve());
      this.socket.once('error', reject);
    });
    this.socket.on('data', (d: Buffer) => (this.out += d.toString('utf8')));
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => (this.closed = true));
  }
  write(data: string): void {
    this.socket.write(data);
  }
  /** Waits until `count` complete responses have arrived (or the server closed). */
  async responses(count: number): Promise<string[]> {
    await until(
      async () => this.closed || this.out.split('HTTP/1.1 ').length - 1 >= count,
      `${count} responses`,
    );
    return this.out
      .split(/(?=HTTP\/1\.1 )/)
      .filter(Boolean)
      .slice(0, count);
  }
  get peerFingerprint256(): string {
    return this.socket.getPeerCertificate().fingerprint256;
  }
  destroy(): void {
    this.socket.destroy();
  }
}

/**
 * A copy of a certificate with its notAfter made unreadable (month 13). OpenSSL still parses
 * it, builds a context from it and prints "Bad time value" for the date.
 */
function withUnreadableNotAfter(pem: string): string {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const utcTimes: number[] = [];
  for (let i = 0; i + 14 < der.length; i++)
    if (der[i] === 0x17 && der[i + 1] === 0x0d && der[i + 14] === 0x5a) utcTimes.push(i);
  const notAfter = utcTimes[1];
  if (notAfter === undefined) throw new Error('no UTCTime validity in the certificate');
  der.write('13', notAfter + 4, 'latin1');
  const body = der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

describe('attacks on the mTLS listener and the admin listener', () => {
  let pki: TestPki;
  let be: RunningBackend;
  let port: number;
  let trusted: ClientTls;
  const logs = capturedLog();
  const auth = `Basic ${Buffer.from('prom:attack-metrics-pass').toString('base64')}`;
  const metric = (series: string) => metricOf(be.adminUrl!, series, { authorization: auth });
  let fixture: MtlsBackend | undefined;

  beforeAll(async () => {
    fixture = await startMtlsBackend('flk-attack-tls-', logs.log, {
      REQUEST_TIMEOUT: '2s',
      METRICS_USER: 'prom',
      METRICS_PASS: 'attack-metrics-pass',
    });
    ({ pki, trusted, be, port } = fixture);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('refuses certificates of the trusted CA that are not for client auth, not valid yet, or issued by a non-CA; a chain through an intermediate counts only when it is sent', async () => {
    const soon = Date.now() + 3_600_000;
    const intermediate = pki.issueIntermediate({ CN: 'agents intermediate', O: 'acme' });
    const viaIntermediate = pki.issueClient({ CN: 'via-intermediate' }, intermediate);
    const leafAsIssuer = pki.issueClient({ CN: 'not-a-ca' });
    const cases: Array<[string, string, string, boolean]> = (() => {
      const serverAuth = pki.issueClient({ CN: 'server-eku' }, pki.ca, {
        extendedKeyUsage: 'serverAuth',
      });
      const notYet = pki.issueClient({ CN: 'not-yet' }, pki.ca, {
        validity: { notBefore: new Date(soon), notAfter: new Date(soon + 3_600_000) },
      });
      const underLeaf = pki.issueClient({ CN: 'under-a-leaf' }, leafAsIssuer);
      const otherIntermediate = pki.issueIntermediate({ CN: 'elsewhere' }, pki.otherCa);
      const viaOther = pki.issueClient({ CN: 'via-other' }, otherIntermediate);
      return [
        ['eku-serverauth', serverAuth.cert, serverAuth.key, false],
        ['not-yet-valid', notYet.cert, notYet.key, false],
        ['issued-by-leaf', underLeaf.cert + leafAsIssuer.cert, underLeaf.key, false],
        ['intermediate-not-sent', viaIntermediate.cert, viaIntermediate.key, false],
        ['other-ca-intermediate', viaOther.cert + otherIntermediate.cert, viaOther.key, false],
        ['intermediate-sent', viaIntermediate.cert + intermediate.cert, viaIntermediate.key, true],
      ];
    })();

    for (const version of ['TLSv1.2', 'TLSv1.3'] as const)
      for (const [tag, cert, key, admitted] of cases) {
        const a = await rawTls(
          port,
          { ca: pki.ca.cert, cert, key, minVersion: version, maxVersion: version },
          submitRequest(signed(`chain-${tag}`), 'Connection: close\r\n'),
        );
        expect([tag, version, statusLine(a)]).toEqual([
          tag,
          version,
          admitted ? 'HTTP/1.1 200 OK' : '',
        ]);
      }
    const marker = signed('chain-marker');
    expect(
      statusLine(await rawTls(port, trusted, submitRequest(marker, 'Connection: close\r\n'))),
    ).toBe('HTTP/1.1 200 OK');
    const shards = await walShards(be.walDir);
    expect(shards.filter((s) => s.startsWith('chain-marker'))).toHaveLength(1);
    expect(
      shards.filter((s) => s.startsWith('chain-') && !/^chain-(marker|intermediate-sent)/.test(s)),
    ).toEqual([]);
  });

  it('resumes no TLS session: an agent whose certificate expired cannot come back with a ticket from before', async () => {
    // Valid long enough for the handshakes below even on a loaded machine; then it expires.
    const now = Date.now();
    const shortLived = pki.issueClient({ CN: 'short-lived', O: 'acme' }, pki.ca, {
      validity: { notBefore: new Date(now - 60_000), notAfter: new Date(now + 10_000) },
    });
    const client = { ca: pki.ca.cert, cert: shortLived.cert, key: shortLived.key };
    const sessions: Partial<Record<'TLSv1.2' | 'TLSv1.3', Buffer>> = {};
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const v = { minVersion: version, maxVersion: version };
      const first = await rawTls(
        port,
        { ...client, ...v },
        submitRequest(signed('resume-valid'), 'Connection: close\r\n'),
      );
      expect(statusLine(first)).toBe('HTTP/1.1 200 OK');
      // Node hands out a session either way; whether the server takes it back is what counts.
      sessions[version] = first.session;
      const again = await rawTls(
        port,
        { ...client, ...v, session: first.session },
        'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      );
      expect(statusLine(again)).toBe('HTTP/1.1 200 OK');
      expect(again.reused).toBe(false);
    }

    // Once the certificate has expired, a full handshake with it is refused...
    await until(
      async () =>
        statusLine(
          await rawTls(
            port,
            client,
            'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
          ),
        ) === '',
      'the short-lived certificate to expire',
    );
    // ...and so is a resumption of a session made while it was valid (Node's tickets last 300 s).
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const a = await rawTls(
        port,
        { ...client, minVersion: version, maxVersion: version, session: sessions[version] },
        submitRequest(signed(`resume-expired-${version}`), 'Connection: close\r\n'),
      );
      expect([version, statusLine(a), a.reused]).toEqual([version, '', false]);
    }
    const marker = signed('resume-marker');
    expect(
      statusLine(await rawTls(port, trusted, submitRequest(marker, 'Connection: close\r\n'))),
    ).toBe('HTTP/1.1 200 OK');
    const shards = await walShards(be.walDir);
    expect(shards.some((s) => s.startsWith('resume-marker'))).toBe(true);
    expect(shards.filter((s) => s.startsWith('resume-expired'))).toEqual([]);
  });

  it('names the peer and OpenSSL’s verdict in the line of a refused certificate', async () => {
    const intruder = pki.issueClient({ CN: 'intruder' }, pki.otherCa);
    const before = logs.lines.length;
    await rawTls(port, { ca: pki.ca.cert, cert: intruder.cert, key: intruder.key }, '');
    await rawTls(port, { ca: pki.ca.cert }, '');
    let refused: Array<Record<string, unknown>> = [];
    await until(async () => {
      refused = logs
        .parsed()
        .slice(before)
        .filter((l) => l.msg === 'TLS handshake refused');
      return refused.length >= 2;
    }, 'both refusals to be logged');
    expect(refused.map((l) => [l.reason, l.remote])).toEqual([
      ['client_cert_untrusted', '127.0.0.1'],
      ['client_cert_missing', '127.0.0.1'],
    ]);
    expect(refused[0]?.verifyError).toMatch(/^[A-Z_]+$/);
  });

  it('refuses a TLS 1.2 renegotiation: the identity worked out at the handshake stays the one on the connection', async () => {
    const c = tls.connect({ host: '127.0.0.1', port, ...trusted, maxVersion: 'TLSv1.2' });
    // Read what comes (the server's answer), so that its close is seen.
    c.on('data', () => undefined);
    try {
      await new Promise((resolve, reject) => {
        c.once('secureConnect', resolve);
        c.once('error', reject);
      });
      // The server takes the attempt for a broken connection: it answers 400 and closes.
      const outcome = await new Promise<string>((resolve) => {
        c.once('error', (e: Error & { code?: string }) => resolve(`refused: ${e.code}`));
        c.once('close', () => resolve('refused: closed'));
        if (!c.renegotiate({}, (err) => resolve(err ? `refused: ${err.message}` : 'renegotiated')))
          resolve('refused: not started');
      });
      expect(outcome).toMatch(/^refused/);
    } finally {
      c.destroy();
    }
    // Nothing of the connection is left on the server (OpenSSL's own way of refusing, the
    // SSL_OP_NO_RENEGOTIATION option, leaves Node's server socket open for good).
    const server = be.backend.app.server;
    await until(
      () => new Promise((resolve) => server.getConnections((_err, n) => resolve(n === 0))),
      'the server to let go of the connection',
    );
  });

  it('keeps nothing of an unverified client: requests pipelined behind a refused handshake, plain HTTP with a body', async () => {
    const intruder = pki.issueClient({ CN: 'intruder', O: 'elsewhere' }, pki.otherCa);
    const pipelined = Array.from({ length: 10 }, () => submitRequest(signed('unverified'))).join(
      '',
    );
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const)
      for (const who of [{ cert: intruder.cert, key: intruder.key }, {}]) {
        const a = await rawTls(
          port,
          { ca: pki.ca.cert, ...who, minVersion: version, maxVersion: version },
          pipelined,
        );
        expect(a.out).toBe('');
      }
    const plain = await new Promise<string>((resolve) => {
      let out = '';
      const s = net.connect(port, '127.0.0.1', () =>
        s.write(submitRequest(signed('unverified-plain'), 'Connection: close\r\n')),
      );
      s.on('data', (d: Buffer) => (out += d.toString('utf8')));
      s.on('error', () => undefined);
      s.on('close', () => resolve(out));
    });
    expect(plain).toBe('');

    const marker = signed('unverified-marker');
    expect(
      statusLine(await rawTls(port, trusted, submitRequest(marker, 'Connection: close\r\n'))),
    ).toBe('HTTP/1.1 200 OK');
    const shards = await walShards(be.walDir);
    expect(shards.some((s) => s.startsWith('unverified-marker'))).toBe(true);
    expect(
      shards.filter((s) => s.startsWith('unverified-') && !s.startsWith('unverified-marker')),
    ).toEqual([]);
  });

  it('frees hundreds of half-open handshakes at the handshake timeout, serving valid clients and the admin port meanwhile', async () => {
    const before = await metric('flk_tls_handshake_failures_total{reason="timeout"}');
    // A TLS record header that announces a ClientHello, then nothing.
    const partialHello = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc]);
    let closed = 0;
    const sockets = Array.from({ length: 200 }, (_, i) => {
      const s = net.connect(port, '127.0.0.1', () => {
        if (i % 2) s.write(partialHello);
      });
      s.on('error', () => undefined);
      s.on('close', () => closed++);
      return s;
    });
    try {
      await until(async () => sockets.every((s) => !s.connecting), 'the sockets to connect');
      expect((await httpsRequest(be.url, trusted, { path: '/health' })).status).toBe(200);
      expect((await fetch(`${be.adminUrl}/health`)).status).toBe(200);
      await until(async () => closed === sockets.length, 'the server to close every socket');
      await until(
        async () =>
          (await metric('flk_tls_handshake_failures_total{reason="timeout"}')) >= before + 200,
        'the timeouts to be counted',
      );
    } finally {
      for (const s of sockets) s.destroy();
    }
  });

  it('keeps a hostile client subject to one escaped, bounded field: no forged field, no hidden text, no kilobytes per line', async () => {
    const forging = pki.issueClient({ CN: 'a\n{"level":60,"msg":"forged","client":"CN=root"}' });
    const bidi = pki.issueClient({ CN: 'agent\u202Eexe.txt\u2028next' });
    const huge = pki.issueClient([
      ['CN', 'agent-many'],
      ...Array.from({ length: 60 }, (_, i) => ['OU', `${'u'.repeat(60)}${i}`] as const),
      ['O', 'acme'],
    ]);
    const clientOf = async (c: Issued) => {
      const before = logs.lines.length;
      const a = await rawTls(
        port,
        { ca: pki.ca.cert, cert: c.cert, key: c.key },
        submitRequest(signed('subject'), 'Connection: close\r\n'),
      );
      expect(statusLine(a)).toBe('HTTP/1.1 200 OK');
      const line = logs.lines
        .slice(before)
        .find((l) => l.includes('"request completed"') && l.includes('/v1/pcs/submit'));
      expect(line).toBeDefined();
      const parsed = JSON.parse(line!) as Record<string, unknown>;
      // Exactly the fields of a request line: the subject cannot add one.
      expect(Object.keys(parsed).sort()).toEqual(
        [
          'client',
          'level',
          'method',
          'ms',
          'msg',
          'name',
          'reqId',
          'route',
          'service',
          'status',
          'time',
        ].sort(),
      );
      expect(parsed.level).toBe(20);
      return String(parsed.client);
    };

    expect(await clientOf(forging)).toBe(
      'CN=a\\0A{\\"level\\":60\\,\\"msg\\":\\"forged\\"\\,\\"client\\":\\"CN=root\\"}',
    );
    // Right-to-left override and line separator, as the hex of their UTF-8 bytes (RFC 4514).
    expect(await clientOf(bidi)).toBe('CN=agent\\E2\\80\\AEexe.txt\\E2\\80\\A8next');
    const long = await clientOf(huge);
    expect(huge.subject.length).toBeGreaterThan(3_000);
    expect(long.length).toBeLessThanOrEqual(257);
    expect(long.startsWith('CN=agent-many,OU=')).toBe(true);
    expect(long.endsWith('…')).toBe(true);
  });

  it('serves only the probes on the admin port, with Basic Auth on /metrics for GET and HEAD', async () => {
    const admin = be.adminUrl!;
    const body = signed('admin-submit');
    const submitted = await fetch(`${admin}/v1/pcs/submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(submitted.status).toBe(404);
    for (const method of ['GET', 'HEAD'])
      expect((await fetch(`${admin}/metrics`, { method })).status).toBe(401);
    expect((await fetch(`${admin}/metrics`, { headers: { authorization: auth } })).status).toBe(
      200,
    );
    expect((await fetch(`${admin}/health`, { method: 'HEAD' })).status).toBe(200);
    for (const method of ['OPTIONS', 'POST', 'PUT', 'DELETE'])
      expect([method, (await fetch(`${admin}/health`, { method })).status]).toEqual([method, 404]);
    expect((await fetch(`${admin}/nothing-here`)).status).toBe(404);
    expect((await walShards(be.walDir)).filter((s) => s.startsWith('admin-submit'))).toEqual([]);
  });
});

describe('live reload under attack: client CA rotation, broken swaps, certificates not yet valid', () => {
  let pki: TestPki;
  let secretDir: string;
  let be: RunningBackend;
  let port: number;
  let trusted: ClientTls;
  const logs = capturedLog();
  const metric = (series: string) => metricOf(be.adminUrl!, series);
  let fixture: MtlsBackend | undefined;
  const served = async () =>
    (await httpsRequest(be.url, trusted, { path: '/health' })).peerFingerprint256;
  const restore = async () => {
    projectSecret(secretDir, tlsSecretData(pki.server, pki.ca), 'utf8');
    await until(
      async () => (await served().catch(() => '')) === pki.server.fingerprint256,
      'the original files in force',
    );
  };
  /**
   * Swaps `data` in; the reload must be refused (counted) with the certificate in force kept,
   * and the refusal's log line must name the problem.
   */
  const expectRefusedSwap = async (data: Record<string, string>, problem: RegExp) => {
    const before = await metric('flk_tls_reload_errors_total');
    projectSecret(secretDir, data, 'utf8');
    await until(
      async () => (await metric('flk_tls_reload_errors_total')) > before,
      'the refusal to be counted',
    );
    expect(await served()).toBe(pki.server.fingerprint256);
    const refused = logs
      .parsed()
      .filter((l) => l.msg?.startsWith('TLS files refused'))
      .at(-1);
    expect(refused?.errors.join('\n')).toMatch(problem);
  };

  beforeAll(async () => {
    // Long enough that a request held open across a reload is not cut off meanwhile.
    fixture = await startMtlsBackend('flk-attack-tls-reload-', logs.log, {
      REQUEST_TIMEOUT: '60s',
    });
    ({ pki, trusted, secretDir, be, port } = fixture);
  });
  // Every test changes the Secret; the next one starts from the original files in force.
  afterEach(async () => {
    for (const c of Connection.opened) c.destroy();
    Connection.opened.clear();
    await restore();
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('closes keep-alive connections let in by a client CA bundle a reload replaced: idle ones at once, busy ones after their answer, pipelined requests untaken', async () => {
    const idle = new Connection(port, trusted);
    const busy = new Connection(port, trusted);
    const pipelining = new Connection(port, trusted);
    await Promise.all([idle.ready, busy.ready, pipelining.ready]);
    idle.write(submitRequest(signed('rotation-idle-first')));
    expect((await idle.responses(1))[0]).toMatch(/^HTTP\/1\.1 200 /);
    // Headers and half a body: the request is in flight when the bundle changes.
    const held = signed('rotation-in-flight');
    const split = Math.floor(held.length / 2);
    busy.write(submitRequest(held).slice(0, -(held.length - split)));
    const pipelinedFirst = signed('rotation-pipelined-first');
    pipelining.write(submitRequest(pipelinedFirst).slice(0, -1));

    // The agents' CA leaves the bundle (another CA takes its place).
    projectSecret(secretDir, tlsSecretData(pki.server, pki.otherCa), 'utf8');
    await until(async () => idle.closed, 'the idle connection to be closed');
    await expect(httpsRequest(be.url, trusted, { path: '/health' })).rejects.toThrow();

    busy.write(held.slice(split));
    const [answer] = await busy.responses(1);
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    await until(async () => busy.closed, 'the busy connection to be closed after its answer');

    // The last byte of the first request and a second one behind it: the second starts under
    // the new bundle, on a connection the old one let in.
    pipelining.write(pipelinedFirst.slice(-1) + submitRequest(signed('rotation-pipelined-second')));
    await until(async () => pipelining.closed, 'the pipelining connection to be closed');
    expect(pipelining.out).not.toMatch(/HTTP\/1\.1 200 [\s\S]*HTTP\/1\.1 200 /);

    const reloaded = logs
      .parsed()
      .filter((l) => l.msg === 'TLS certificate reloaded')
      .at(-1);
    expect(reloaded?.clientCaChanged).toBe(true);
    const shards = await walShards(be.walDir);
    expect(shards.filter((s) => s.startsWith('rotation-in-flight'))).toHaveLength(1);
    expect(shards.filter((s) => s.startsWith('rotation-pipelined-second'))).toEqual([]);
  });

  it('keeps keep-alive connections open across a reload that changes only the serving certificate', async () => {
    const kept = new Connection(port, trusted);
    await kept.ready;
    kept.write(submitRequest(signed('serving-rotation-before')));
    expect((await kept.responses(1))[0]).toMatch(/^HTTP\/1\.1 200 /);
    projectSecret(secretDir, tlsSecretData(pki.rotatedServer, pki.ca), 'utf8');
    await until(
      async () => (await served()) === pki.rotatedServer.fingerprint256,
      'the rotated certificate to be served',
    );
    kept.write(submitRequest(signed('serving-rotation-after')));
    const [, second] = await kept.responses(2);
    expect(second).toMatch(/^HTTP\/1\.1 200 /);
    expect(second).not.toMatch(/connection: close/i);
    expect(kept.closed).toBe(false);
    expect(kept.peerFingerprint256).toBe(pki.server.fingerprint256);
    kept.destroy();
    // The reload kept the TLS options: still no session resumption.
    const probe = 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const v = { ...trusted, minVersion: version, maxVersion: version };
      const first = await rawTls(port, v, probe);
      const again = await rawTls(port, { ...v, session: first.session }, probe);
      expect([version, statusLine(again), again.reused]).toEqual([
        version,
        'HTTP/1.1 200 OK',
        false,
      ]);
    }
  });

  it('refuses a renewal whose serving certificate is not valid yet, and keeps serving the one in force', async () => {
    const start = Date.now() + 3_600_000;
    // A serving certificate and its key, valid only from an hour from now.
    const notYet = pki.issueClient({ CN: 'flk-backend', O: 'flk-tests' }, pki.ca, {
      extendedKeyUsage: 'serverAuth',
      validity: { notBefore: new Date(start), notAfter: new Date(start + 86_400_000) },
    });
    await expectRefusedSwap(
      tlsSecretData(notYet, pki.ca),
      /TLS_CERT_FILE \(.*\): certificate chain not valid before /,
    );
  });

  it('refuses a certificate with an unreadable validity date: counted, named, the one in force kept', async () => {
    await expectRefusedSwap(
      { ...tlsSecretData(pki.server, pki.ca), 'tls.crt': withUnreadableNotAfter(pki.server.cert) },
      /TLS_CERT_FILE \(.*\): a certificate has an unreadable validity date/,
    );
    expect(logs.lines.join('\n')).not.toContain('reload failed');
  });

  it('refuses every broken swap while a valid client never fails a handshake, and logs no PEM', async () => {
    const good = tlsSecretData(pki.server, pki.ca);
    const versionDir = () => path.join(secretDir, fs.readlinkSync(path.join(secretDir, '..data')));
    const swaps: Array<[string, () => void]> = [
      [
        'garbage',
        () => projectSecret(secretDir, { ...good, 'tls.crt': 'not a cert\u0000\u00ff' }, 'utf8'),
      ],
      ['empty key', () => projectSecret(secretDir, { ...good, 'tls.key': '' }, 'utf8')],
      [
        'CA gone',
        () =>
          projectSecret(
            secretDir,
            { 'tls.crt': good['tls.crt']!, 'tls.key': good['tls.key']! },
            'utf8',
          ),
      ],
      [
        'certificate a folder',
        () => {
          projectSecret(secretDir, good, 'utf8');
          const f = path.join(versionDir(), 'tls.crt');
          fs.rmSync(f);
          fs.mkdirSync(f);
        },
      ],
      [
        'symlink loop',
        () => {
          fs.rmSync(path.join(secretDir, 'tls.key'));
          fs.symlinkSync('tls.key', path.join(secretDir, 'tls.key'));
        },
      ],
      [
        'over 1 MiB',
        () => projectSecret(secretDir, { ...good, 'ca.crt': pki.ca.cert.repeat(2_000) }, 'utf8'),
      ],
      [
        'mismatched key',
        () => projectSecret(secretDir, { ...good, 'tls.key': pki.rotatedServer.key }, 'utf8'),
      ],
    ];
    let stop = false;
    const failures: string[] = [];
    const load = (async () => {
      for (let i = 0; i < 5_000 && !stop; i++)
        await httpsRequest(be.url, trusted, { path: '/health' }).then(
          (r) => void (r.status !== 200 && failures.push(String(r.status))),
          (e: Error & { code?: string }) => void failures.push(e.code ?? e.message),
        );
    })();
    try {
      for (const [what, swap] of swaps) {
        const before = await metric('flk_tls_reload_errors_total');
        swap();
        await until(
          async () => (await metric('flk_tls_reload_errors_total')) > before,
          `the refusal of "${what}" to be counted`,
        );
        expect([what, await served()]).toEqual([what, pki.server.fingerprint256]);
        await restore();
      }
    } finally {
      stop = true;
      await load;
    }
    expect(failures).toEqual([]);
    const refusals = logs
      .parsed()
      .filter((l) => l.msg?.startsWith('TLS files refused'))
      .flatMap((l) => l.errors as string[])
      .join('\n');
    expect(refusals).toMatch(/TLS_CLIENT_CA_FILE \(.*\): larger than 1 MiB/);
    expect(refusals).toMatch(/TLS_CERT_FILE \(.*\): cannot read \(EISDIR\)/);
    expect(refusals).toMatch(/TLS_KEY_FILE \(.*\): cannot read \(ELOOP\)/);
    expect(logs.lines.join('\n')).not.toContain('-----BEGIN');
  });

  it('lists at most ten CAs in the reload line of a large bundle, and says how many there are', async () => {
    projectSecret(
      secretDir,
      { ...tlsSecretData(pki.server, pki.ca), 'ca.crt': pki.ca.cert.repeat(40) },
      'utf8',
    );
    let line: Record<string, unknown> | undefined;
    await until(async () => {
      line = logs
        .parsed()
        .filter((l) => l.msg === 'TLS certificate reloaded')
        .find((l) => l.clientCaCount === 40);
      return line !== undefined;
    }, 'the bundle of 40 to be loaded');
    expect(line?.clientCa).toHaveLength(10);
  });
});

describe('start-up with listeners or certificates it cannot use', () => {
  let pki: TestPki;
  let walDir: string;
  let busy: net.Server;
  let busyPort: string;
  beforeAll(async () => {
    pki = createPki();
    walDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flk-attack-tls-wal-'));
    fs.writeFileSync(path.join(pki.dir, 'bad-date.crt'), withUnreadableNotAfter(pki.server.cert));
    busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = String((busy.address() as net.AddressInfo).port);
  });
  afterAll(async () => {
    await new Promise((resolve) => busy.close(resolve));
    pki.cleanup();
    fs.rmSync(walDir, { recursive: true, force: true });
  });

  const tlsFiles = () => ({ TLS_CERT_FILE: pki.server.certFile, TLS_KEY_FILE: pki.server.keyFile });
  it.each([
    [
      'a certificate with an unreadable validity date',
      () => ({ ...tlsFiles(), TLS_CERT_FILE: path.join(pki.dir, 'bad-date.crt') }),
      1,
      /^flk-backend: failed to start: TLS_CERT_FILE \(.*bad-date\.crt\): a certificate has an unreadable validity date$/,
    ],
    [
      'an admin port in use',
      () => ({ ...tlsFiles(), ADMIN_PORT: busyPort }),
      1,
      /^flk-backend: failed to start: ADMIN_PORT: cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)$/,
    ],
    [
      // TEST-NET-1: no address of this host, so binding fails here without a packet sent.
      'an admin address that is not this host’s',
      () => ({ ...tlsFiles(), ADMIN_PORT: '0', ADMIN_HOST: '192.0.2.1' }),
      1,
      /^flk-backend: failed to start: ADMIN_HOST: cannot listen on 192\.0\.2\.1:0 \(EADDRNOTAVAIL\)$/,
    ],
    [
      'an ingest port in use',
      () => ({ ...tlsFiles(), PORT: busyPort }),
      1,
      /^flk-backend: failed to start: PORT: cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)$/,
    ],
    [
      'an admin address without an admin port',
      () => ({ ...tlsFiles(), ADMIN_HOST: '127.0.0.1' }),
      2,
      /^flk-backend: invalid configuration: ADMIN_HOST: has no effect without ADMIN_PORT/,
    ],
  ])('%s: exits with one line naming the variable', async (_what, env, code, line) => {
    const r = await backendExit({ ...env(), WAL_DIR: walDir });
    expect(r.code).toBe(code);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(r.stderr).not.toContain('-----BEGIN');
  });
});
