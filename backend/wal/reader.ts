import fs from 'node:fs/promises';
import { scanSegment, type WalRecord } from './format.ts';
import { listAllSegments, type SegmentInfo } from './segments.ts';

export interface SegmentReport {
  segment: SegmentInfo;
  records: number;
  firstMs?: number;
  lastMs?: number;
  damage?: { offset: number; bytes: number; reason: string };
}

/**
 * Visits every readable record under walDir, writer by writer, oldest segment first. A damaged
 * stretch (a torn tail after a crash) ends that segment's records and is reported, never thrown:
 * the records before it are still good, and the next segment starts clean.
 */
export async function forEachRecord(
  walDir: string,
  visit: (rec: WalRecord, segment: SegmentInfo) => Promise<void> | void,
  opts: { sinceMs?: number; untilMs?: number } = {},
): Promise<SegmentReport[]> {
  const reports: SegmentReport[] = [];
  for (const segment of await listAllSegments(walDir)) {
    if (opts.sinceMs !== undefined && segment.mtimeMs < opts.sinceMs) continue;
    const data = await fs.readFile(segment.path);
    const { records, damage } = scanSegment(data);
    for (const rec of records) {
      if (opts.sinceMs !== undefined && rec.timestampMs < opts.sinceMs) continue;
      if (opts.untilMs !== undefined && rec.timestampMs >= opts.untilMs) continue;
      await visit(rec, segment);
    }
    reports.push({
      segment,
      records: records.length,
      firstMs: records[0]?.timestampMs,
      lastMs: records.at(-1)?.timestampMs,
      damage,
    });
  }
  return reports;
}

export function inspectWal(walDir: string): Promise<SegmentReport[]> {
  return forEachRecord(walDir, () => undefined);
}
