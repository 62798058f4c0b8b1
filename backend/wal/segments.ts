import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Layout under WAL_DIR: one folder per writer (the pod name, so replicas sharing a
 * ReadWriteMany volume never write the same file), each holding numbered segments. The
 * highest-numbered segment of a folder is the one its writer may still be appending to.
 */
const SEGMENT = /^(\d{20})\.wal$/;

export interface SegmentInfo {
  writer: string;
  seq: number;
  path: string;
  bytes: number;
  mtimeMs: number;
}

export function segmentName(seq: number): string {
  return `${String(seq).padStart(20, '0')}.wal`;
}

export async function listWriters(walDir: string): Promise<string[]> {
  const entries = await readDirOrEmpty(walDir);
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

/** Segments of one writer folder, oldest first. */
export async function listSegments(walDir: string, writer: string): Promise<SegmentInfo[]> {
  const dir = path.join(walDir, writer);
  const entries = await readDirOrEmpty(dir);
  const found: SegmentInfo[] = [];
  for (const e of entries) {
    const m = SEGMENT.exec(e.name);
    if (!m || !e.isFile()) continue;
    const file = path.join(dir, e.name);
    const st = await fs.stat(file);
    found.push({ writer, seq: Number(m[1]), path: file, bytes: st.size, mtimeMs: st.mtimeMs });
  }
  return found.sort((a, b) => a.seq - b.seq);
}

export async function listAllSegments(walDir: string): Promise<SegmentInfo[]> {
  const all: SegmentInfo[] = [];
  for (const writer of await listWriters(walDir)) all.push(...(await listSegments(walDir, writer)));
  return all;
}

async function readDirOrEmpty(dir: string) {
  try {
    return await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`reading WAL folder ${dir}: ${(err as Error).message}`, { cause: err });
  }
}

/** Makes a new directory entry durable: without this a crash can lose a freshly created segment. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
