import fs from 'node:fs/promises';
import path from 'node:path';
import type { DedupStore, PutResult, StoredOutcome } from './store.ts';
import { fsyncDir } from '../wal/segments.ts';

interface Entry {
  value: StoredOutcome;
  expiresAt: number;
}

/**
 * The snapshot cannot be read. Start-up stops rather than rebuilding from the WAL by itself:
 * the WAL may be kept for less than the dedup TTL, so a silent rebuild could forget answers.
 */
export class SnapshotError extends Error {
  constructor(
    readonly file: string,
    reason: string,
    cause: unknown,
  ) {
    super(
      `dedup snapshot ${file} is unreadable (${reason}); move it aside to rebuild the dedup state from the WAL`,
      { cause },
    );
    this.name = 'SnapshotError';
  }
}

/** Every entry is checked: one that is not a valid stored outcome must never be served. */
function parseSnapshot(text: string): SnapshotFile {
  const snap = JSON.parse(text) as Partial<SnapshotFile> | null;
  if (snap === null || typeof snap !== 'object' || snap.format !== 'flk-dedup-snapshot/v1')
    throw new Error(`not a flk-dedup-snapshot/v1 file`);
  if (typeof snap.savedAtMs !== 'number' || !Array.isArray(snap.entries))
    throw new Error('savedAtMs or entries missing');
  snap.entries.forEach((e, i) => {
    const ok =
      Array.isArray(e) &&
      typeof e[0] === 'string' &&
      typeof e[1] === 'number' &&
      (e[2]?.status === 200 || e[2]?.status === 202) &&
      typeof e[2]?.outcome === 'object' &&
      e[2].outcome !== null;
    if (!ok) throw new Error(`entry ${i} is not [pcs_id, expiresAt, {status: 200|202, outcome}]`);
  });
  return snap as SnapshotFile;
}

interface SnapshotFile {
  format: 'flk-dedup-snapshot/v1';
  savedAtMs: number;
  entries: [pcsId: string, expiresAt: number, value: StoredOutcome][];
}

/**
 * The embedded store: a Map in this process, saved to a snapshot file so a restart keeps its
 * answers. What happened after the last snapshot is recovered by replaying the WAL from the
 * snapshot's time, which is why `savedAtMs` is exposed.
 */
export class MemoryDedupStore implements DedupStore {
  readonly kind = 'memory';
  private entries = new Map<string, Entry>();
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  savedAtMs: number | undefined;

  constructor(
    private readonly opts: {
      snapshotPath?: string;
      snapshotEveryMs?: number;
      now?: () => number;
      /** Periodic saves run unattended; their failures are reported here. */
      onError?: (err: Error) => void;
    } = {},
  ) {}

  private get now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** Loads the snapshot if there is one and starts saving periodically. */
  async open(): Promise<void> {
    const file = this.opts.snapshotPath;
    if (!file) return;
    try {
      const text = await fs.readFile(file, 'utf8');
      const snap = parseSnapshot(text);
      const now = this.now;
      for (const [id, expiresAt, value] of snap.entries)
        if (expiresAt > now) this.entries.set(id, { value, expiresAt });
      this.savedAtMs = snap.savedAtMs;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new SnapshotError(file, (err as Error).message, err);
    }
    this.timer = setInterval(() => {
      this.saveIfDirty().catch((err: Error) => this.opts.onError?.(err));
    }, this.opts.snapshotEveryMs ?? 5_000);
    this.timer.unref();
  }

  async get(pcsId: string): Promise<StoredOutcome | undefined> {
    return this.live(pcsId);
  }

  /** Synchronous from check to write, so racing callers in this process cannot both win. */
  async putIfAbsent(pcsId: string, value: StoredOutcome, ttlMs: number): Promise<PutResult> {
    const existing = this.live(pcsId);
    if (existing) return { stored: existing, won: false };
    this.entries.set(pcsId, { value, expiresAt: this.now + ttlMs });
    this.dirty = true;
    return { stored: value, won: true };
  }

  private live(pcsId: string): StoredOutcome | undefined {
    const e = this.entries.get(pcsId);
    if (!e) return undefined;
    if (e.expiresAt > this.now) return e.value;
    this.entries.delete(pcsId);
    return undefined;
  }

  async ping(): Promise<void> {}

  get size(): number {
    return this.entries.size;
  }

  async saveIfDirty(): Promise<void> {
    if (!this.dirty || !this.opts.snapshotPath) return;
    this.dirty = false;
    try {
      await this.save(this.opts.snapshotPath);
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }

  /** Write to a temporary file, fsync, rename: a crash leaves the old snapshot or the new one. */
  private async save(file: string): Promise<void> {
    const savedAtMs = this.now;
    const snap: SnapshotFile = { format: 'flk-dedup-snapshot/v1', savedAtMs, entries: [] };
    for (const [id, e] of this.entries)
      if (e.expiresAt > savedAtMs) snap.entries.push([id, e.expiresAt, e.value]);

    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    const fh = await fs.open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify(snap));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, file);
    await fsyncDir(path.dirname(file));
    this.savedAtMs = savedAtMs;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.saveIfDirty();
  }
}
