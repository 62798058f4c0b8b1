import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryDedupStore } from '../../backend/dedup/memory.ts';
import { PostgresDedupStore } from '../../backend/dedup/postgres.ts';
import { RedisDedupStore } from '../../backend/dedup/redis.ts';
import type { DedupStore, StoredOutcome } from '../../backend/dedup/store.ts';
import { formatRecord } from '../../pcs/record.ts';
import { buildRecord, hmacMaterial, signRecord } from '../../pcs/sign.ts';
import { startBackend, submit, type RunningBackend } from '../harness/backend.ts';
import { startPostgres, startRedis, type TestServer } from '../harness/servers.ts';

const noop = () => undefined;
let redis: TestServer;
let postgres: TestServer;
beforeAll(async () => {
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
});
afterAll(async () => {
  await Promise.all([redis?.destroy(), postgres?.destroy()]);
});

function outcome(pcsId: string, tag: number): StoredOutcome {
  return {
    status: tag % 2 === 0 ? 200 : 202,
    outcome: {
      pcs_id: pcsId,
      accepted: true,
      escalated: tag % 2 === 1,
      regime: 'sticky',
      D_hat: tag,
      budget: 0.5,
      recomputed_D_hat: tag,
      recomputed_budget: 0.5,
    },
  };
}

const stores: [string, () => Promise<DedupStore>][] = [
  ['memory', async () => new MemoryDedupStore()],
  [
    'redis',
    async () => {
      const s = new RedisDedupStore(redis.url, 800, noop);
      await s.open();
      return s;
    },
  ],
  [
    'postgres',
    async () => {
      const s = new PostgresDedupStore(postgres.url, 800, noop);
      await s.open();
      return s;
    },
  ],
];

describe.each(stores)('%s dedup store', (_name, make) => {
  let store: DedupStore;
  beforeAll(async () => {
    store = await make();
  });
  afterAll(() => store.close());

  it('a missing id is undefined; a stored one comes back as stored', async () => {
    const id = `get-${Date.now()}`;
    expect(await store.get(id)).toBeUndefined();
    const put = await store.putIfAbsent(id, outcome(id, 2), 60_000);
    expect(put.won).toBe(true);
    expect(await store.get(id)).toEqual(outcome(id, 2));
  });

  it('first write wins under concurrency: 40 racing writers, one winner, all see its value', async () => {
    const id = `race-${Date.now()}`;
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => store.putIfAbsent(id, outcome(id, i), 60_000)),
    );
    const winners = results.filter((r) => r.won);
    expect(winners).toHaveLength(1);
    for (const r of results) expect(r.stored).toEqual(winners[0]?.stored);
    expect(await store.get(id)).toEqual(winners[0]?.stored);
  });

  it('an expired entry is gone and may be written again', async () => {
    const id = `ttl-${Date.now()}`;
    await store.putIfAbsent(id, outcome(id, 1), 300);
    await new Promise((r) => setTimeout(r, 1_200));
    expect(await store.get(id)).toBeUndefined();
    const again = await store.putIfAbsent(id, outcome(id, 2), 60_000);
    expect(again.won).toBe(true);
  });

  it('ping answers', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});

describe.each(['redis', 'postgres'] as const)('two backends sharing one %s store', (kind) => {
  let a: RunningBackend;
  let b: RunningBackend;
  const key = 'shared-store-hmac-key-0123456789abcdef';
  beforeAll(async () => {
    const env = {
      PCS_SIGN_ALG: 'hmac',
      PCS_HMAC_KEY: key,
      DEDUP_BACKEND: kind,
      ...(kind === 'redis' ? { REDIS_ADDR: redis.url } : { POSTGRES_CONN: postgres.url }),
    };
    a = await startBackend({ ...env, POD_NAME: 'replica-a' });
    b = await startBackend({ ...env, POD_NAME: 'replica-b' });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('the same record in flight on both replicas: one stored outcome, identical answers', async () => {
    for (let round = 0; round < 5; round++) {
      const rec = signRecord(
        buildRecord({ shard_id: `${kind}-shared-${round}-${Date.now()}`, epoch: round }),
        {
          scheme: 'hmac-sha256',
          key: hmacMaterial(key),
        },
      );
      const body = formatRecord(rec);
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => submit(i % 2 ? a.url : b.url, body)),
      );
      expect(new Set(answers.map((x) => x.status))).toEqual(new Set([200]));
      const strip = (j: Record<string, unknown>) => JSON.stringify({ ...j, dedup_hit: null });
      expect(new Set(answers.map((x) => strip(x.json))).size).toBe(1);
      expect(answers.filter((x) => x.json.dedup_hit === false).length).toBeGreaterThanOrEqual(1);
      expect(await a.backend.store.get(rec.pcs_id)).toEqual(await b.backend.store.get(rec.pcs_id));
    }
  });
});
