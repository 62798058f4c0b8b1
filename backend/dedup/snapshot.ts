import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { StoredOutcome } from './store.ts';
import { fsyncDir } from '../wal/segments.ts';

/**
 * The memory store's snapshot file, one JSON value per line:
 *
 *   {"format":"flk-dedup-snapshot/v2","savedAtMs":…}
 *   ["<pcs_id>",<expiresAtMs>,{"status":200|202,"outcome":{…}}]      one per entry
 *   {"end":<entry count>}
 *
 * Lines, not one document, so that neither writing nor reading a store of millions of entries
 * builds a string near V8's limit or holds the event loop for the whole file; the end line
 * tells a complete file from a truncated one.
 */
const FORMAT = 'flk-dedup-snapshot/v2';
const CHUNK_BYTES = 1 << 20;

export type SnapshotEntry = [pcsId: string, expiresAt: number, value: StoredOutcome];

export interface Snapshot {
  savedAtMs: number;
  entries: SnapshotEntry[];
}

/** Writes to a temporary file, fsyncs, renames: a crash leaves the old snapshot or the new one. */
export async function writeSnapshot(
  file: string,
  savedAtMs: number,
  entries: Iterable<SnapshotEntry>,
): Promise<number> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const fh = await fs.open(tmp, 'w');
  let count = 0;
  try {
    let chunk = `${JSON.stringify({ format: FORMAT, savedAtMs })}\n`;
    for (const e of entries) {
      chunk += `${JSON.stringify(e)}\n`;
      count += 1;
      if (chunk.length >= CHUNK_BYTES) {
        await fh.write(chunk);
        chunk = '';
      }
    }
    await fh.write(`${chunk}${JSON.stringify({ end: count })}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, file);
  await fsyncDir(path.dirname(file));
  return count;
}

/** Reads and checks every line; throws on anything that is not a complete, valid snapshot. */
export async function readSnapshot(file: string): Promise<Snapshot> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let savedAtMs: number | undefined;
  let end: number | undefined;
  const entries: SnapshotEntry[] = [];
  for await (const line of lines) {
    const n = entries.length + 1;
    if (end !== undefined) throw new Error(`data after the end line`);
    const v = parseLine(line, n);
    if (savedAtMs === undefined) {
      const head = v as { format?: unknown; savedAtMs?: unknown } | null;
      if (head?.format !== FORMAT || typeof head.savedAtMs !== 'number')
        throw new Error(`not a ${FORMAT} file`);
      savedAtMs = head.savedAtMs;
    } else if (!Array.isArray(v) && typeof (v as { end?: unknown })?.end === 'number') {
      end = (v as { end: number }).end;
      if (end !== entries.length)
        throw new Error(`end line counts ${end} entries, file has ${entries.length}`);
    } else {
      entries.push(checkEntry(v, n));
    }
  }
  if (savedAtMs === undefined) throw new Error('empty file');
  if (end === undefined) throw new Error('no end line: the file is truncated');
  return { savedAtMs, entries };
}

function parseLine(line: string, n: number): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`line ${n} is not JSON`);
  }
}

/** An entry that is not a valid stored outcome must never be served. */
function checkEntry(v: unknown, n: number): SnapshotEntry {
  const e = v as SnapshotEntry;
  const ok =
    Array.isArray(e) &&
    typeof e[0] === 'string' &&
    typeof e[1] === 'number' &&
    (e[2]?.status === 200 || e[2]?.status === 202) &&
    typeof e[2]?.outcome === 'object' &&
    e[2].outcome !== null;
  if (!ok) throw new Error(`entry ${n} is not [pcs_id, expiresAt, {status: 200|202, outcome}]`);
  return e;
}
