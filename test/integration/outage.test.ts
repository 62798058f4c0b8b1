import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forEachRecord } from '../../backend/wal/reader.ts';
import { formatRecord } from '../../pcs/record.ts';
import { buildRecord, hmacMaterial, signRecord } from '../../pcs/sign.ts';
import { startBackend, type RunningBackend } from '../harness/backend.ts';
import { startPostgres, startRedis, type TestServer } from '../harness/servers.ts';

const KEY = 'outage-test-hmac-key-0123456789abcdef';
let n = 0;
function record() {
  return signRecord(buildRecord({ shard_id: `outage-${process.pid}-${++n}`, epoch: n }), {
    scheme: 'hmac-sha256',
    key: hmacMaterial(KEY),
  });
}

/** A client-side ceiling that only catches a hung request; the store deadline is 800 ms. */
const HANG = 5_000;

async function burst(url: string, count: number) {
  const recs = Array.from({ length: count }, record);
  const answers = await Promise.all(
    recs.map(async (rec) => {
      const res = await fetch(`${url}/v1/pcs/submit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: formatRecord(rec),
        signal: AbortSignal.timeout(HANG),
      });
      await res.arrayBuffer();
      return { pcsId: rec.pcs_id, status: res.status, retryAfter: res.headers.get('retry-after') };
    }),
  );
  return answers;
}

interface Case {
  name: 'redis' | 'postgres';
  start: () => Promise<TestServer>;
  env: (s: TestServer) => Record<string, string>;
  /** Whether the store holds an entry, asked directly of the server. */
  holds: (s: TestServer, pcsId: string) => Promise<boolean>;
}

const cases: Case[] = [
  {
    name: 'redis',
    start: startRedis,
    env: (s) => ({ DEDUP_BACKEND: 'redis', REDIS_ADDR: s.url }),
    holds: async (s, id) => {
      const c = new Redis(s.url);
      try {
        return (await c.exists(`flk:dedup:${id}`)) === 1;
      } finally {
        c.disconnect();
      }
    },
  },
  {
    name: 'postgres',
    start: startPostgres,
    env: (s) => ({ DEDUP_BACKEND: 'postgres', POSTGRES_CONN: s.url }),
    holds: async (s, id) => {
      const c = new pg.Client({ connectionString: s.url });
      await c.connect();
      try {
        const r = await c.query('SELECT 1 FROM flk_dedup WHERE pcs_id = $1', [id]);
        return r.rowCount === 1;
      } finally {
        await c.end();
      }
    },
  },
];

describe.each(cases)('$name outage', (c) => {
  let server: TestServer;
  let b: RunningBackend;
  beforeAll(async () => {
    server = await c.start();
    b = await startBackend({ PCS_SIGN_ALG: 'hmac', PCS_HMAC_KEY: KEY, ...c.env(server) });
    await b.backend.replayed;
  });
  afterAll(async () => {
    await b?.close();
    await server?.destroy();
  });

  it('serves normally while the store is up', async () => {
    const answers = await burst(b.url, 50);
    expect(answers.every((a) => a.status === 200)).toBe(true);
  });

  it('store stopped under load: every request answers 503 with Retry-After, none hangs, WAL keeps recording', async () => {
    const load = burst(b.url, 100);
    await server.stop('SIGKILL');
    const during = [...(await load), ...(await burst(b.url, 100))];

    const statuses = new Set(during.map((a) => a.status));
    expect([...statuses].every((s) => s === 200 || s === 503)).toBe(true);
    const refused = during.filter((a) => a.status === 503);
    expect(refused.length).toBeGreaterThanOrEqual(100);
    expect(refused.every((a) => a.retryAfter === '1')).toBe(true);

    const ready = await fetch(`${b.url}/ready`);
    expect(ready.status).toBe(503);
    const text = await fetch(`${b.url}/metrics`).then((r) => r.text());
    expect(text).toMatch(/flk_dedup_store_errors_total\{op="get"\} [1-9]/);

    // The backend comes back by itself once the same server is back.
    await server.start();
    let after = await burst(b.url, 20);
    for (let i = 0; i < 50 && !after.every((a) => a.status === 200); i++) {
      await new Promise((r) => setTimeout(r, 200));
      after = await burst(b.url, 20);
    }
    expect(after.every((a) => a.status === 200)).toBe(true);
    expect((await fetch(`${b.url}/ready`)).status).toBe(200);

    // Every refused request is still in the WAL.
    const walText: string[] = [];
    await forEachRecord(b.walDir, (r) => void walText.push(r.body.toString()));
    const inWal = new Set(walText.map((t) => /"pcs_id":"([0-9a-f]+)"/.exec(t)?.[1]));
    expect(refused.every((a) => inWal.has(a.pcsId))).toBe(true);

    // Nothing issued during the outage was sent later: the refused ids are not in the store.
    await new Promise((r) => setTimeout(r, 500));
    for (const a of refused.slice(0, 30)) expect(await c.holds(server, a.pcsId)).toBe(false);
  });

  it('a store restart (graceful) with the backend running: the process stays up and recovers', async () => {
    await server.stop('SIGTERM');
    const down = await burst(b.url, 10);
    expect(down.every((a) => a.status === 503)).toBe(true);
    await server.start();
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      ok = (await burst(b.url, 5)).every((a) => a.status === 200);
      if (!ok) await new Promise((r) => setTimeout(r, 200));
    }
    expect(ok).toBe(true);
  });
});

describe('a remote store that is down at start', () => {
  it('the backend starts unready, answers 503, and serves once the store comes up', async () => {
    const server = await startRedis();
    await server.stop();
    const b = await startBackend({
      PCS_SIGN_ALG: 'hmac',
      PCS_HMAC_KEY: KEY,
      DEDUP_BACKEND: 'redis',
      REDIS_ADDR: server.url,
    });
    try {
      expect((await fetch(`${b.url}/ready`)).status).toBe(503);
      expect((await burst(b.url, 3)).map((a) => a.status)).toEqual([503, 503, 503]);
      await server.start();
      let ok = false;
      for (let i = 0; i < 50 && !ok; i++) {
        ok = (await burst(b.url, 3)).every((a) => a.status === 200);
        if (!ok) await new Promise((r) => setTimeout(r, 200));
      }
      expect(ok).toBe(true);
    } finally {
      await b.close();
      await server.destroy();
    }
  });
});
