import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { forEachRecord } from '../../backend/wal/reader.ts';
import type { PcsRecord } from '../../pcs/record.ts';
import { formatRecord } from '../../pcs/record.ts';
import { buildRecord, hmacMaterial, signRecord } from '../../pcs/sign.ts';
import { spawnBackend, submit } from '../harness/backend.ts';

const KEY = 'crash-test-hmac-key-0123456789abcdef';
const walDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flk-crash-'));
const env = {
  PCS_SIGN_ALG: 'hmac',
  PCS_HMAC_KEY: KEY,
  WAL_DIR: walDir,
  POD_NAME: 'crash-pod',
  DEDUP_BACKEND: 'memory',
};
afterAll(() => fs.rmSync(walDir, { recursive: true, force: true }));

function record(i: number): PcsRecord {
  // Every fifth record is escalated (its budget is off), so both stored statuses are exercised.
  const rec = buildRecord({ shard_id: `crash-${i}`, epoch: i });
  const adjusted = i % 5 === 0 ? { ...rec, budget: 0.9 } : rec;
  return signRecord(adjusted, { scheme: 'hmac-sha256', key: hmacMaterial(KEY) });
}

describe('SIGKILL under load', () => {
  it('every request that got a 2xx is in the WAL, and the dedup state is recovered by replay', async () => {
    const first = await spawnBackend(env);
    const acked = new Map<string, { status: number; body: Record<string, unknown> }>();
    let next = 0;
    let killed = false;

    // Eight concurrent clients, bounded in count; the kill lands while they are mid-flight.
    const client = async () => {
      while (!killed && next < 20_000) {
        const rec = record(next++);
        try {
          const r = await submit(first.url, formatRecord(rec));
          if (r.status === 200 || r.status === 202)
            acked.set(rec.pcs_id, { status: r.status, body: r.json });
        } catch {
          return; // the connection died with the process: that request was never acknowledged
        }
      }
    };
    const clients = Array.from({ length: 8 }, client);
    while (acked.size < 1_500) await new Promise((r) => setTimeout(r, 20));
    killed = true;
    await first.stop('SIGKILL');
    await Promise.all(clients);
    expect(acked.size).toBeGreaterThanOrEqual(1_500);

    // 1. Durable before the answer: every acknowledged id is in a readable WAL record.
    const inWal = new Set<string>();
    await forEachRecord(walDir, (r) => {
      const id = /"pcs_id":"([0-9a-f]{64})"/.exec(r.body.toString())?.[1];
      if (id) inWal.add(id);
    });
    const missing = [...acked.keys()].filter((id) => !inWal.has(id));
    expect(missing).toEqual([]);

    // 2. After restart (replay at start), every acknowledged record is a dedup hit with its status.
    const second = await spawnBackend(env);
    try {
      for (let i = 0; i < next; i++) {
        const rec = record(i);
        const before = acked.get(rec.pcs_id);
        if (!before) continue;
        const r = await submit(second.url, formatRecord(rec));
        expect(r.status).toBe(before.status);
        expect(r.json.dedup_hit).toBe(true);
        expect({ ...r.json, dedup_hit: false }).toEqual({ ...before.body, dedup_hit: false });
      }
    } finally {
      expect(await second.stop('SIGTERM')).toBe(0);
    }
  });
});
