import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryDedupStore } from './memory.ts';
import { readSnapshot, writeSnapshot, type SnapshotEntry } from './snapshot.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flk-snap-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const entry = (i: number): SnapshotEntry => [
  `id-${i}`,
  Date.now() + 60_000,
  {
    status: 200,
    outcome: {
      pcs_id: `id-${i}`,
      accepted: true,
      escalated: false,
      regime: 'sticky',
      D_hat: 1,
      budget: 0.5,
      recomputed_D_hat: 1,
      recomputed_budget: 0.5,
    },
  },
];

describe('dedup snapshot file', () => {
  it('round-trips a large store without one giant string', async () => {
    const file = path.join(dir, 's.ndjson');
    const all = Array.from({ length: 50_000 }, (_, i) => entry(i));
    expect(await writeSnapshot(file, 123, all)).toBe(50_000);
    const back = await readSnapshot(file);
    expect(back.savedAtMs).toBe(123);
    expect(back.entries).toEqual(all);
  });

  it('a snapshot cut anywhere is refused, never half-loaded', async () => {
    const file = path.join(dir, 's.ndjson');
    await writeSnapshot(file, 1, [entry(1), entry(2), entry(3)]);
    const whole = fs.readFileSync(file);
    for (const cut of [0, 10, whole.length / 2, whole.length - 3]) {
      fs.writeFileSync(file, whole.subarray(0, Math.floor(cut)));
      await expect(readSnapshot(file)).rejects.toThrow(/truncated|empty|not JSON|not a flk/);
    }
  });

  it('an entry that is not a stored outcome is refused', async () => {
    const file = path.join(dir, 's.ndjson');
    const bad = [...entry(1)] as unknown as SnapshotEntry;
    (bad[2] as { status: number }).status = 999;
    await writeSnapshot(file, 1, [entry(0), bad]);
    await expect(readSnapshot(file)).rejects.toThrow(/entry 2 is not/);
  });

  it('the memory store saves, drops expired entries, and loads back what is live', async () => {
    let now = 1_000;
    const file = path.join(dir, 'store.ndjson');
    const a = new MemoryDedupStore({ snapshotPath: file, now: () => now });
    await a.open();
    await a.putIfAbsent('live', entry(1)[2], 60_000);
    await a.putIfAbsent('short', entry(2)[2], 10);
    now += 100;
    await a.close();
    const b = new MemoryDedupStore({ snapshotPath: file, now: () => now });
    await b.open();
    expect(await b.get('live')).toEqual(entry(1)[2]);
    expect(await b.get('short')).toBeUndefined();
    expect(b.savedAtMs).toBe(1_100);
    await b.close();
  });
});
