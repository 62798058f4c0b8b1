import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compactWal } from './compact.ts';
import { encodeRecord, FLAG_JSON, HEADER_BYTES, scanSegment } from './format.ts';
import { forEachRecord, inspectWal } from './reader.ts';
import { listSegments } from './segments.ts';
import { WalWriter } from './writer.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flk-wal-test-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const opts = (over: Partial<Parameters<typeof WalWriter.open>[0]> = {}) => ({
  walDir: dir,
  writer: 'pod-a',
  segmentBytes: 1 << 20,
  segmentMaxAgeMs: 3_600_000,
  sync: 'group' as const,
  ...over,
});

describe('record format', () => {
  it('round-trips body, timestamp and flags', () => {
    const rec = encodeRecord(Buffer.from('{"a":1}'), 1_700_000_000_123, FLAG_JSON);
    const { records, damage } = scanSegment(rec);
    expect(damage).toBeUndefined();
    expect(records).toHaveLength(1);
    expect(records[0]?.body.toString()).toBe('{"a":1}');
    expect(records[0]?.timestampMs).toBe(1_700_000_000_123);
    expect(records[0]?.flags).toBe(FLAG_JSON);
  });

  it('keeps an empty body as a record (malformed requests are logged too)', () => {
    const { records } = scanSegment(encodeRecord(Buffer.alloc(0), 1));
    expect(records[0]?.body.length).toBe(0);
  });

  it('a flipped byte mid-segment costs that record only: the scan resynchronises on the next header', () => {
    const recs = [0, 1, 2, 3, 4].map((i) => encodeRecord(Buffer.from(`record number ${i}`), i));
    const data = Buffer.concat(recs);
    const at = (recs[0] as Buffer).length + (recs[1] as Buffer).length + HEADER_BYTES + 3;
    data[at] = (data[at] as number) ^ 0x40;
    const { records, damages } = scanSegment(data);
    expect(records.map((r) => r.timestampMs)).toEqual([0, 1, 3, 4]);
    expect(damages).toHaveLength(1);
    expect(damages[0]?.reason).toBe('checksum mismatch');
  });

  it('a torn tail at every possible cut is detected and the whole records before it survive', () => {
    const a = encodeRecord(Buffer.from('first record'), 10);
    const b = encodeRecord(Buffer.from('second record, cut somewhere'), 11);
    const both = Buffer.concat([a, b]);
    for (let cut = a.length + 1; cut < both.length; cut++) {
      const { records, damage } = scanSegment(both.subarray(0, cut));
      expect(records.map((r) => r.body.toString())).toEqual(['first record']);
      expect(damage?.offset).toBe(a.length);
    }
  });

  it('a flipped bit in the body or the header fails the checksum', () => {
    const rec = encodeRecord(Buffer.from('payload'), 5);
    for (const at of [HEADER_BYTES + 2, 14]) {
      const bad = Buffer.from(rec);
      bad[at] = (bad[at] as number) ^ 0x01;
      const { records, damage } = scanSegment(bad);
      expect(records).toHaveLength(0);
      expect(damage?.reason).toMatch(/checksum|length|truncated/);
    }
  });

  it('a zero-filled tail (ext4 after a crash) is damage, not records', () => {
    const data = Buffer.concat([encodeRecord(Buffer.from('ok'), 1), Buffer.alloc(4096)]);
    const { records, damage } = scanSegment(data);
    expect(records).toHaveLength(1);
    expect(damage?.reason).toBe('bad magic');
  });
});

describe('WalWriter', () => {
  it('group commit: many concurrent appends share far fewer fsyncs than records', async () => {
    const flushes: number[] = [];
    const w = await WalWriter.open(opts({ onFlush: (b) => flushes.push(b.records) }));
    await Promise.all(Array.from({ length: 200 }, (_, i) => w.append(Buffer.from(`rec ${i}`))));
    await w.close();

    expect(flushes.reduce((a, b) => a + b, 0)).toBe(200);
    expect(flushes.length).toBeLessThan(200);
    const seen: string[] = [];
    await forEachRecord(dir, (r) => void seen.push(r.body.toString()));
    expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => `rec ${i}`));
  });

  it('sync=each makes one fsync per record (the baseline group commit is measured against)', async () => {
    const flushes: number[] = [];
    const w = await WalWriter.open(opts({ sync: 'each', onFlush: (b) => flushes.push(b.records) }));
    await Promise.all(Array.from({ length: 20 }, (_, i) => w.append(Buffer.from(`rec ${i}`))));
    await w.close();
    expect(flushes).toEqual(Array(20).fill(1));
  });

  it('rolls to a new segment by size', async () => {
    const w = await WalWriter.open(opts({ segmentBytes: 100 }));
    for (let i = 0; i < 5; i++) await w.append(Buffer.alloc(80, 1));
    await w.close();
    const segs = await listSegments(dir, 'pod-a');
    expect(segs.length).toBe(5);
  });

  it('rolls to a new segment by age, with an injected clock', async () => {
    let now = 1_000;
    const w = await WalWriter.open(opts({ segmentMaxAgeMs: 60_000, now: () => now }));
    await w.append(Buffer.from('a'));
    now += 59_000;
    await w.append(Buffer.from('b'));
    now += 2_000;
    await w.append(Buffer.from('c'));
    await w.close();
    const reports = await inspectWal(dir);
    expect(reports.map((r) => r.records)).toEqual([2, 1]);
  });

  it('a restarted writer never appends to the previous (possibly torn) segment', async () => {
    const w1 = await WalWriter.open(opts());
    await w1.append(Buffer.from('before crash'));
    await w1.close();
    fs.appendFileSync((await listSegments(dir, 'pod-a'))[0]!.path, Buffer.from([0x46, 0x4c])); // torn
    const w2 = await WalWriter.open(opts());
    await w2.append(Buffer.from('after restart'));
    await w2.close();

    const reports = await inspectWal(dir);
    expect(reports).toHaveLength(2);
    expect(reports[0]?.damages[0]?.reason).toBe('truncated header');
    expect(reports[1]?.records).toBe(1);
  });

  it('an append after close is refused, not silently dropped', async () => {
    const w = await WalWriter.open(opts());
    await w.close();
    await expect(w.append(Buffer.from('late'))).rejects.toThrow(/closed/);
  });
});

describe('compaction', () => {
  it('deletes closed segments older than the retention in every writer folder, never the open one', async () => {
    for (const writer of ['pod-a', 'pod-b']) {
      const w = await WalWriter.open(opts({ writer, segmentBytes: 10 }));
      for (let i = 0; i < 3; i++) await w.append(Buffer.from(`${writer} ${i}`));
      await w.close();
    }
    const old = (Date.now() - 10 * 86_400_000) / 1000;
    for (const writer of ['pod-a', 'pod-b'])
      for (const s of await listSegments(dir, writer)) fs.utimesSync(s.path, old, old);

    const res = await compactWal({ walDir: dir, retentionMs: 86_400_000 });
    expect(res.deleted.length).toBe(4);
    const left = [...(await listSegments(dir, 'pod-a')), ...(await listSegments(dir, 'pod-b'))];
    expect(left.map((s) => s.seq)).toEqual([3, 3]);
  });

  it('keeps segments inside the retention', async () => {
    const w = await WalWriter.open(opts({ segmentBytes: 10 }));
    for (let i = 0; i < 3; i++) await w.append(Buffer.from(`r${i}`));
    await w.close();
    const res = await compactWal({ walDir: dir, retentionMs: 86_400_000 });
    expect(res.deleted).toEqual([]);
    expect(res.kept.length).toBe(3);
  });

  it('dry run deletes nothing', async () => {
    const w = await WalWriter.open(opts({ segmentBytes: 10 }));
    for (let i = 0; i < 3; i++) await w.append(Buffer.from(`r${i}`));
    await w.close();
    const res = await compactWal({
      walDir: dir,
      retentionMs: 0,
      nowMs: Date.now() + 1000,
      dryRun: true,
    });
    expect(res.deleted.length).toBe(2);
    expect((await listSegments(dir, 'pod-a')).length).toBe(3);
  });
});
