import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatKeyFile, parseSignerKey } from '../../pcs/keyfile.ts';
import { generateEd25519 } from '../../pcs/keygen.ts';
import type { PcsRecord } from '../../pcs/record.ts';
import { formatRecord } from '../../pcs/record.ts';
import { buildRecord, hmacMaterial, signRecord } from '../../pcs/sign.ts';
import { inspectWal } from '../../backend/wal/reader.ts';
import { startBackend, submit, type RunningBackend, walBodies } from '../harness/backend.ts';

const HMAC_KEY = 'integration-test-hmac-key-0123456789';
const signer = { scheme: 'hmac-sha256' as const, key: hmacMaterial(HMAC_KEY) };
let seq = 0;
function signed(over: Partial<Parameters<typeof buildRecord>[0]> = {}): PcsRecord {
  return signRecord(
    buildRecord({ shard_id: `http-${process.pid}-${++seq}`, epoch: seq, ...over }),
    signer,
  );
}

async function metric(url: string, name: string, auth?: string): Promise<number> {
  const text = await fetch(`${url}/metrics`, auth ? { headers: { authorization: auth } } : {}).then(
    (r) => r.text(),
  );
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}

describe('ingest over HTTP, memory store, HMAC', () => {
  let b: RunningBackend;
  beforeAll(async () => {
    b = await startBackend({ PCS_SIGN_ALG: 'hmac', PCS_HMAC_KEY: HMAC_KEY, BODY_LIMIT: '4096' });
  });
  afterAll(() => b.close());

  it('accepts a signed record with 200 and the recomputed values, then answers a duplicate from the store', async () => {
    const rec = signed();
    const first = await submit(b.url, formatRecord(rec));
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({
      pcs_id: rec.pcs_id,
      accepted: true,
      escalated: false,
      dedup_hit: false,
    });
    expect(first.json.recomputed_D_hat).toBeCloseTo(rec.D_hat, 6);
    for (const f of ['D_hat', 'budget', 'regime', 'recomputed_budget'])
      expect(first.json).toHaveProperty(f);

    const again = await submit(b.url, formatRecord({ ...rec, attempt: 2 }));
    expect(again.status).toBe(200);
    expect({ ...again.json, dedup_hit: false }).toEqual(first.json);
    expect(again.json.dedup_hit).toBe(true);
  });

  it('a rejected signature never reaches the store and never counts as a dedup hit', async () => {
    const hitsBefore = await metric(b.url, 'flk_dedup_hits');
    const rec = signed();
    const forged = { ...rec, sig: signed().sig };
    const r = await submit(b.url, formatRecord(forged));
    expect(r.status).toBe(401);
    expect(r.json.error).toMatchObject({ code: 'signature_invalid', field: 'sig' });
    expect(await b.backend.store.get(rec.pcs_id)).toBeUndefined();

    // The genuine record is then new, not a duplicate of the forgery.
    const ok = await submit(b.url, formatRecord(rec));
    expect(ok.json.dedup_hit).toBe(false);
    // A forgery of an already stored record gets 401 too, not the stored answer.
    expect((await submit(b.url, formatRecord({ ...rec, coh_star: 0.74 }))).status).toBe(401);
    expect(await metric(b.url, 'flk_dedup_hits')).toBe(hitsBefore);
  });

  it.each([
    ['not base64', '!!!not-base64!!!'],
    ['unpadded', 'AAAA'.repeat(10) + 'AAA'],
    ['wrong length', Buffer.alloc(31).toString('base64')],
    ['very long', Buffer.alloc(100_00).toString('base64').slice(0, 3000)],
    ['empty', ''],
    ['non-canonical padding bits', Buffer.alloc(32, 0).toString('base64').replace(/A=$/, 'B=')],
  ])('a signature that is %s is a 401, not a 500', async (_name, sig) => {
    const r = await submit(b.url, formatRecord({ ...signed(), sig }));
    expect(r.status).toBe(401);
  });

  const bad: [string, string | Buffer, string | null, number, string, string?][] = [
    ['an empty body', '', 'application/json', 400, 'empty_body'],
    ['a non-JSON content type', '{"a":1}', 'text/plain', 415, 'unsupported_media_type'],
    ['no content type', '{"a":1}', null, 415, 'unsupported_media_type'],
    ['malformed JSON', '{"pcs_id": ', 'application/json', 400, 'invalid_json'],
    ['a JSON array', '[1,2]', 'application/json', 400, 'invalid_json'],
    [
      'a __proto__ key',
      '{"__proto__":{"admin":true}}',
      'application/json',
      400,
      'forbidden_key',
      '__proto__',
    ],
    [
      'a nested constructor key',
      '{"ft":{"constructor":{"prototype":1}}}',
      'application/json',
      400,
      'forbidden_key',
    ],
  ];
  it.each(bad)(
    '%s gets %i with code %s, and the body is in the WAL',
    async (_n, body, ct, status, code, field) => {
      const r = await submit(b.url, body, ct);
      expect(r.status).toBe(status);
      expect(r.json.error.code).toBe(code);
      if (field) expect(r.json.error.field).toBe(field);
      expect(r.json.error.message).toBeTypeOf('string');
      const bodies = await walBodies(b.walDir);
      expect(bodies).toContain(Buffer.from(body).toString('utf8'));
    },
  );

  it('a duplicate key anywhere is a 400 naming the key', async () => {
    const text = formatRecord(signed()).replace('"shard_id":', '"D_hat":1.0,"shard_id":');
    const r = await submit(b.url, text);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'duplicate_key', field: 'D_hat' });
  });

  it('an integer a double cannot hold is a 400 naming the field', async () => {
    const text = formatRecord(signed()).replace(/"attempt":1/, '"attempt":9007199254740993');
    const r = await submit(b.url, text);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'unsafe_number', field: 'attempt' });
  });

  it.each([
    ['epoch', '"epoch":3.5', 'invalid_field'],
    ['epoch', '"epoch":"3"', 'invalid_field'],
    ['coh_star', '"coh_star":"0.7"', 'invalid_field'],
    ['scales', '"scales":"2,4"', 'invalid_field'],
  ])('a wrongly typed %s (%s) is a 400 naming it', async (field, replacement, code) => {
    const rec = signed();
    const text = formatRecord(rec).replace(
      new RegExp(`"${field}":(\\[[^\\]]*\\]|[^,}]+)`),
      replacement,
    );
    const r = await submit(b.url, text);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code, field });
  });

  it('a missing required field is a 400 naming it', async () => {
    const { merkle_root: _m, ...rest } = signed();
    const r = await submit(b.url, formatRecord(rest as PcsRecord));
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'missing_field', field: 'merkle_root' });
  });

  it('an oversized body is a 413 with a JSON error', async () => {
    const r = await submit(b.url, `{"pad":"${'x'.repeat(5000)}"}`);
    expect(r.status).toBe(413);
    expect(r.json.error.code).toBe('body_too_large');
  });

  it('unknown extra fields are ignored', async () => {
    const text = formatRecord(signed()).replace('{', '{"agent_build":"x","extra":{"n":[1,2]},');
    expect((await submit(b.url, text)).status).toBe(200);
  });

  it('identical records in flight at once: one stored outcome, identical answers', async () => {
    const body = formatRecord(signed());
    const answers = await Promise.all(Array.from({ length: 16 }, () => submit(b.url, body)));
    const statuses = new Set(answers.map((a) => a.status));
    expect(statuses).toEqual(new Set([200]));
    const bodies = new Set(answers.map((a) => JSON.stringify({ ...a.json, dedup_hit: null })));
    expect(bodies.size).toBe(1);
  });

  it('every answered request is in the WAL before its answer', async () => {
    const rec = signed();
    await submit(b.url, formatRecord(rec));
    expect((await walBodies(b.walDir)).some((x) => x.includes(rec.pcs_id))).toBe(true);
    const reports = await inspectWal(b.walDir);
    expect(reports.every((r) => r.damages.length === 0)).toBe(true);
  });

  it('GET /health says OK; /ready lists the key ids; /metrics has the reference names', async () => {
    const h = await fetch(`${b.url}/health`);
    expect([h.status, await h.text()]).toEqual([200, 'OK']);
    const ready = await fetch(`${b.url}/ready`).then(
      (r) => r.json() as Promise<Record<string, unknown>>,
    );
    expect(ready).toMatchObject({ ready: true, store: 'ok' });
    expect((ready.keyIds as string[]).length).toBe(1);
    const text = await fetch(`${b.url}/metrics`).then((r) => r.text());
    for (const name of [
      'flk_ingest_total',
      'flk_dedup_hits',
      'flk_accepted',
      'flk_escalated',
      'flk_signature_errors',
      'flk_wal_errors',
      'flk_http_request_duration_seconds_bucket',
      'flk_keys_loaded',
      'flk_wal_fsync_duration_seconds_bucket',
    ])
      expect(text).toContain(name);
  });

  it('an unknown route is a JSON 404', async () => {
    const r = await fetch(`${b.url}/v2/nothing`);
    expect(r.status).toBe(404);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});

describe('metrics behind Basic Auth, rate limit, several keys', () => {
  let b: RunningBackend;
  let keysDir: string;
  const ed = generateEd25519();
  beforeAll(async () => {
    keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flk-keys-'));
    fs.writeFileSync(path.join(keysDir, `${ed.kid}.json`), formatKeyFile(ed.verifier));
    b = await startBackend({
      PCS_SIGN_ALG: 'hmac',
      PCS_HMAC_KEY: HMAC_KEY,
      PCS_SIGN_SCHEMES: 'hmac-sha256,hmac-sha256-payload',
      PCS_KEYS_DIR: keysDir,
      METRICS_USER: 'prom',
      METRICS_PASS: 'scrape-secret',
      TOKEN_RATE: '1',
      TOKEN_BURST: '5',
    });
  });
  afterAll(async () => {
    await b.close();
    fs.rmSync(keysDir, { recursive: true, force: true });
  });

  it('/metrics refuses without or with wrong credentials and serves with them', async () => {
    expect((await fetch(`${b.url}/metrics`)).status).toBe(401);
    const wrong = `Basic ${Buffer.from('prom:nope').toString('base64')}`;
    expect((await fetch(`${b.url}/metrics`, { headers: { authorization: wrong } })).status).toBe(
      401,
    );
    const right = `Basic ${Buffer.from('prom:scrape-secret').toString('base64')}`;
    const ok = await fetch(`${b.url}/metrics`, { headers: { authorization: right } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('flk_keys_loaded{kid="');
  });

  it('accepts records from the env key and from the keys directory, each scheme it lists', async () => {
    const viaEd = signRecord(
      buildRecord({ shard_id: 'multi-ed', epoch: 1 }),
      parseSignerKey(formatKeyFile(ed.signer)),
    );
    const viaPayload = signRecord(buildRecord({ shard_id: 'multi-hp', epoch: 1 }), {
      scheme: 'hmac-sha256-payload',
      key: hmacMaterial(HMAC_KEY),
    });
    expect((await submit(b.url, formatRecord(viaEd))).status).toBe(200);
    expect((await submit(b.url, formatRecord(viaPayload))).status).toBe(200);
  });

  it('past the burst the submit route answers 429 with Retry-After, before touching the WAL', async () => {
    const before = (await walBodies(b.walDir)).length;
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await submit(b.url, `{"probe":${i}}`));
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(Number(limited[0]?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited[0]?.json.error.code).toBe('rate_limited');
    const after = (await walBodies(b.walDir)).length;
    expect(after - before).toBe(answers.length - limited.length);
    // Health is never rate limited.
    expect((await fetch(`${b.url}/health`)).status).toBe(200);
  });
});

describe('building the app twice in one process', () => {
  it('does not throw (metrics live on a registry per app)', async () => {
    const one = await startBackend({});
    const two = await startBackend({});
    expect((await fetch(`${two.url}/health`)).status).toBe(200);
    await one.close();
    await two.close();
  });
});
