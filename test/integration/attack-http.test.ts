/**
 * Attack tests for the HTTP surface: hostile JSON and HTTP framing, slow bodies, races on one
 * pcs_id, and what reaches the logs. Memory store, HMAC, a real loopback socket.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatKeyFile, generateHmac } from '../../pcs/keys.ts';
import type { PcsRecord } from '../../pcs/record.ts';
import { formatRecord } from '../../pcs/record.ts';
import { buildRecord, hmacMaterial, signRecord } from '../../pcs/sign.ts';
import {
  REPO_ROOT,
  startBackend,
  submit,
  type RunningBackend,
  walBodies,
} from '../harness/backend.ts';
import { freePort, waitForPort } from '../harness/ports.ts';

const KEY = 'attack-http-hmac-key-0123456789abcdef';
const signer = { scheme: 'hmac-sha256' as const, key: hmacMaterial(KEY) };
let n = 0;
function signed(over: Partial<PcsRecord> = {}): PcsRecord {
  const rec = buildRecord({ shard_id: `attack-http-${process.pid}-${++n}`, epoch: n });
  return signRecord({ ...rec, ...over }, signer);
}

/** Writes raw bytes on a fresh connection; resolves with what came back once it closes. */
function rawRequest(port: number, data: string, waitMs = 3_000): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    const s = net.connect(port, '127.0.0.1', () => s.write(data));
    s.on('data', (d) => (out += d.toString()));
    s.on('error', () => undefined);
    const t = setTimeout(() => s.destroy(), waitMs);
    s.on('close', () => {
      clearTimeout(t);
      resolve(out);
    });
  });
}

describe('hostile input over HTTP', () => {
  let b: RunningBackend;
  let port: number;
  beforeAll(async () => {
    b = await startBackend({ PCS_SIGN_ALG: 'hmac', PCS_HMAC_KEY: KEY });
    port = Number(new URL(b.url).port);
  });
  afterAll(() => b.close());

  const base = () => formatRecord(signed());
  const hostile: [string, number, () => string | Buffer][] = [
    ['60,000 nested arrays', 400, () => '['.repeat(60_000)],
    ['10,000 nested objects', 400, () => '{"a":'.repeat(10_000)],
    ['a 30,000-element array', 400, () => `{"x":[${'1,'.repeat(30_000)}1]}`],
    ['a 60 kB string', 400, () => `{"x":"${'a'.repeat(60_000)}"}`],
    [
      'a 60,000-digit integer in epoch',
      400,
      () => base().replace(/"epoch":\d+/, `"epoch":${'9'.repeat(60_000)}`),
    ],
    [
      'a UTF-8 BOM',
      400,
      () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(base())]),
    ],
    ['a NUL byte outside a string', 400, () => base().replace('{', '{\u0000')],
    ['1e400 in D_hat', 400, () => base().replace(/"D_hat":[^,]+/, '"D_hat":1e400')],
    ['1E5 in an integer field', 400, () => base().replace(/"attempt":1/, '"attempt":1E5')],
    ['a leading zero', 400, () => base().replace(/"attempt":1/, '"attempt":01')],
    [
      'a duplicate key spelled with an escape',
      400,
      () => base().replace('"shard_id":', '"\\u0073hard_id":"x","shard_id":'),
    ],
    [
      '__proto__ spelled with an escape',
      400,
      () => base().replace('{', '{"\\u005f_proto__":{"a":1},'),
    ],
    [
      'a lone surrogate in shard_id',
      400,
      () => base().replace(/"shard_id":"[^"]+"/, '"shard_id":"\\ud800"'),
    ],
    [
      'invalid UTF-8',
      400,
      () =>
        Buffer.concat([
          Buffer.from(base().slice(0, -1)),
          Buffer.from([0x2c, 0x22, 0x78, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d]),
        ]),
    ],
    ['epoch 2^63', 400, () => base().replace(/"epoch":\d+/, `"epoch":${2n ** 63n}`)],
    [
      'a URL-safe signature',
      401,
      () => {
        const r = signed({});
        return formatRecord({
          ...r,
          sig: r.sig.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''),
        });
      },
    ],
    [
      'a signature with a trailing space',
      401,
      () => {
        const r = signed();
        return formatRecord({ ...r, sig: `${r.sig} ` });
      },
    ],
  ];
  it.each(hostile)('%s gets a JSON %i, never a 500, within 1 s', async (_label, status, body) => {
    const t0 = Date.now();
    const r = await submit(b.url, body());
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(r.status).toBe(status);
    expect(r.json.error.code).toBeTypeOf('string');
  });

  it('the same record 200 times in parallel: one stored outcome, answers differ at most in dedup_hit', async () => {
    const body = formatRecord(signed());
    const answers = await Promise.all(Array.from({ length: 200 }, () => submit(b.url, body)));
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200]));
    expect(new Set(answers.map((a) => JSON.stringify({ ...a.json, dedup_hit: null }))).size).toBe(
      1,
    );
  });

  it('one pcs_id with 100 different signed contents in parallel: every answer is the first one', async () => {
    const rec = buildRecord({ shard_id: `attack-http-race-${process.pid}`, epoch: 1 });
    const variants = Array.from({ length: 100 }, (_, i) =>
      formatRecord(
        signRecord({ ...rec, attempt: i + 1, budget: i % 2 ? 0.9 : rec.budget }, signer),
      ),
    );
    const answers = await Promise.all(variants.map((v) => submit(b.url, v)));
    expect(new Set(answers.map((a) => a.status)).size).toBe(1);
    expect(new Set(answers.map((a) => JSON.stringify({ ...a.json, dedup_hit: null }))).size).toBe(
      1,
    );
  });

  it('a Content-Type with no slash is a 415 in the product’s error shape, and its body reaches the WAL like any other', async () => {
    const body = `{"attack_marker":"ct-no-slash-${process.pid}"}`;
    const r = await submit(b.url, body, 'json');
    expect(r.status).toBe(415);
    expect(r.json.error.code).toBe('unsupported_media_type');
    // Observed: fastify refuses it before the ingest runs, so it never reaches the WAL, while
    // `text/plain` (also 415) does. DESIGN §3: malformed bodies are logged too.
    expect(await walBodies(b.walDir)).toContain(body);
  });

  it('a request with both Content-Length and Transfer-Encoding gets a 400 in the product’s error shape', async () => {
    const out = await rawRequest(
      port,
      'POST /v1/pcs/submit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\n{"a":\r\n0\r\n\r\n',
    );
    expect(out.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    const json = JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4)) as { error: unknown };
    // Observed: {"error":"Bad Request","message":"Client Error","statusCode":400}
    expect(json.error).toMatchObject({ code: expect.any(String) });
  });

  it('a body trickled one byte per second (slowloris) is cut off within 20 s', async () => {
    const closedAfter = await new Promise<number>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      const t0 = Date.now();
      s.write(
        'POST /v1/pcs/submit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
      );
      const drip = setInterval(() => s.write('x'), 1_000);
      s.on('error', () => undefined);
      s.on('close', () => {
        clearInterval(drip);
        resolve(Date.now() - t0);
      });
      setTimeout(() => {
        clearInterval(drip);
        s.destroy();
      }, 25_000);
    });
    // Observed: still open at 25 s — fastify's requestTimeout is 0 (no limit) and the backend
    // does not set one, so a client can hold a connection (and its buffers) for ever.
    expect(closedAfter).toBeLessThan(20_000);
  }, 40_000);
});

describe('logs at LOG_LEVEL=trace', () => {
  it('never carry the HMAC key, a keys-dir secret, the metrics password, a signature or a raw body', async () => {
    const walDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flk-attack-logs-'));
    const keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flk-attack-logkeys-'));
    const dirKey = generateHmac(32, { schemes: ['hmac-sha256-payload'] });
    fs.writeFileSync(path.join(keysDir, `${dirKey.kid}.json`), formatKeyFile(dirKey.verifier));
    const metricsPass = 'attack-metrics-password-4711';
    const port = await freePort();
    let out = '';
    const child = spawn(process.execPath, ['--import', 'tsx', 'backend/main.ts'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'trace',
        PCS_SIGN_ALG: 'hmac',
        PCS_HMAC_KEY: KEY,
        PCS_KEYS_DIR: keysDir,
        WAL_DIR: walDir,
        METRICS_USER: 'scraper',
        METRICS_PASS: metricsPass,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await waitForPort(port);
      const url = `http://127.0.0.1:${port}`;
      const rec = signed();
      const marker = `BODYMARKER-${process.pid}`;
      const body = formatRecord(rec).replace('{', `{"marker":"${marker}",`);
      await submit(url, body);
      await submit(url, body);
      await submit(url, body.replace(rec.sig, Buffer.alloc(32, 7).toString('base64')));
      await submit(url, `{"${marker}":1,`);
      await submit(url, `{"${marker}":1}`, 'text/plain');
      await submit(url, `{"x":"${marker}","x":1}`);
      const wrong = Buffer.from(`scraper:${metricsPass}x`).toString('base64');
      await fetch(`${url}/metrics`, { headers: { authorization: `Basic ${wrong}` } });
      await fetch(`${url}/nothing?token=${marker}`);
      child.kill('SIGTERM');
      await exited;
      expect(out).toContain('"msg":"request completed"');
      for (const secret of [
        KEY,
        dirKey.verifier.secret_b64 as string,
        metricsPass,
        wrong,
        rec.sig,
        marker,
      ])
        expect(out).not.toContain(secret);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      fs.rmSync(walDir, { recursive: true, force: true });
      fs.rmSync(keysDir, { recursive: true, force: true });
    }
  });
});
