import fs from 'node:fs/promises';
import { listSegments, listWriters, type SegmentInfo } from './segments.ts';

export interface CompactResult {
  deleted: SegmentInfo[];
  kept: SegmentInfo[];
}

/**
 * Deletes closed segments whose last write is older than the retention, in every writer folder.
 * The newest segment of each folder is never deleted: its writer may still be appending to it,
 * and a compaction job running beside live pods has no other way to tell.
 */
export async function compactWal(opts: {
  walDir: string;
  retentionMs: number;
  nowMs?: number;
  dryRun?: boolean;
}): Promise<CompactResult> {
  const cutoff = (opts.nowMs ?? Date.now()) - opts.retentionMs;
  const result: CompactResult = { deleted: [], kept: [] };

  for (const writer of await listWriters(opts.walDir)) {
    const segments = await listSegments(opts.walDir, writer);
    const open = segments.at(-1);
    for (const seg of segments) {
      const expired = seg !== open && seg.mtimeMs < cutoff;
      if (!expired) {
        result.kept.push(seg);
        continue;
      }
      if (!opts.dryRun) await fs.rm(seg.path);
      result.deleted.push(seg);
    }
  }
  return result;
}
