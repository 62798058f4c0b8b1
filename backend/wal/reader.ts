import fs from 'node:fs/promises';
import { scanSegment, type Damage, type WalRecord } from './format.ts';
import { listAllSegments, type SegmentInfo } from './segments.ts';

export interface SegmentReport {
  segment: SegmentInfo;
  records: number;
  firstMs?: number;
  lastMs?: number;
  /** Unreadable stretches, skipped; the records around them were read. */
  damages: Damage[];
}

/**
 * Visits every readable record under walDir, writer by writer, oldest segment first. A damaged
 * stretch (a torn tail after a crash, a flipped bit) is skipped and reported, never thrown.
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
    const { records, damages } = scanSegment(data);
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
      damages,
    });
  }
  return reports;
}

export function inspectWal(walDir: string): Promise<SegmentReport[]> {
  return forEachRecord(walDir, () => undefined);
}
