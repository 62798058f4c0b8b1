import type { Logger } from 'pino';
import type { Metrics } from '../metrics.ts';
import { forEachRecord } from '../wal/reader.ts';
import type { Ingest, ReplayResult } from './pipeline.ts';

export type ReplayCounts = Record<ReplayResult, number> & { damagedSegments: number };

/**
 * Replays every WAL record received since `sinceMs` (every folder: a crashed pod's records are
 * recovered by whichever pod starts next) and reports what became of them.
 */
export async function replayWal(opts: {
  walDir: string;
  ingest: Ingest;
  sinceMs?: number;
  /**
   * Records received from this instant on are live traffic (this process's own, or another
   * replica's), answered by the process that received them; replaying them would race it.
   */
  untilMs?: number;
  nowMs?: number;
  log: Logger;
  metrics?: Metrics;
}): Promise<ReplayCounts> {
  const counts: ReplayCounts = {
    stored: 0,
    present: 0,
    rejected: 0,
    skipped: 0,
    expired: 0,
    damagedSegments: 0,
  };
  const now = opts.nowMs ?? Date.now();
  const reports = await forEachRecord(
    opts.walDir,
    async (rec) => {
      const result = await opts.ingest.replay(rec.body, rec.flags, rec.timestampMs, now);
      counts[result] += 1;
      opts.metrics?.replayed.inc({ result });
    },
    { sinceMs: opts.sinceMs, untilMs: opts.untilMs },
  );
  for (const r of reports) {
    if (r.damages.length === 0) continue;
    counts.damagedSegments += 1;
    opts.log.warn(
      { segment: r.segment.path, damages: r.damages },
      'WAL segment has unreadable stretches; they were skipped and the records around them replayed',
    );
  }
  return counts;
}
