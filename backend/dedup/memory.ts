import { readSnapshot, writeSnapshot, type SnapshotEntry } from './snapshot.ts';
import type { DedupStore, PutResult, StoredOutcome } from './store.ts';

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

/**
 * The embedded store: a Map in this process, saved to a snapshot file so a restart keeps its
 * answers. What happened after the last snapshot is recovered by replaying the WAL from the
 * snapshot's time, which is why `savedAtMs` is exposed.
 */
export class MemoryDedupStore implements DedupStore {
  readonly kind = 'memory';
  private entries = new Map<string, Entry>();
  private dirty = false;
  private saving: Promise<void> | undefined;
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
      const snap = await readSnapshot(file);
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

  /** One save at a time: a slow save of a large map is not overlapped by the next tick. */
  saveIfDirty(): Promise<void> {
    if (!this.dirty || !this.opts.snapshotPath) return this.saving ?? Promise.resolve();
    this.saving ??= this.save(this.opts.snapshotPath).finally(() => {
      this.saving = undefined;
    });
    return this.saving;
  }

  private async save(file: string): Promise<void> {
    this.dirty = false;
    const savedAtMs = this.now;
    try {
      await writeSnapshot(file, savedAtMs, this.liveEntries(savedAtMs));
      this.savedAtMs = savedAtMs;
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }

  /** Live entries for the snapshot; expired ones are dropped from the map on the way. */
  private *liveEntries(now: number): Generator<SnapshotEntry> {
    for (const [id, e] of this.entries) {
      if (e.expiresAt > now) yield [id, e.expiresAt, e.value];
      else this.entries.delete(id);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.saving;
    await this.saveIfDirty();
  }
}
