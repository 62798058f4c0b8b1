import fs from 'node:fs/promises';
import path from 'node:path';
import { encodeRecord } from './format.ts';
import { fsyncDir, listSegments, segmentName } from './segments.ts';

export interface WalWriterOptions {
  walDir: string;
  /** Folder of this writer under walDir; the pod name in a cluster. */
  writer: string;
  segmentBytes: number;
  segmentMaxAgeMs: number;
  /** `group`: one fdatasync serves every append that arrived while the previous one ran. */
  sync: 'group' | 'each';
  now?: () => number;
  /** Called after each flush, for metrics: records in the batch and the fsync time. */
  onFlush?: (batch: { records: number; bytes: number; syncSeconds: number }) => void;
}

interface Pending {
  data: Buffer;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Append-only, durable-before-resolve writer. Appends are queued; a single flush loop writes
 * everything queued with one writev and one fdatasync, then resolves the whole batch. Under
 * load the batch grows to whatever arrived during the previous fsync, which is what makes
 * durability cheap: the fsync count follows the disk's latency, not the request rate.
 */
export class WalWriter {
  private queue: Pending[] = [];
  private flushing = false;
  private fh: fs.FileHandle | undefined;
  private seq = 0;
  private segmentSize = 0;
  /** True once this writer has created the segment named by `seq`. */
  private ownsCurrent = false;
  private segmentOpenedAt = 0;
  private closed = false;
  private failure: Error | undefined;
  private readonly now: () => number;

  private constructor(private readonly opts: WalWriterOptions) {
    this.now = opts.now ?? Date.now;
  }

  /**
   * Opens a fresh segment after the highest existing one. A writer never appends to a segment
   * left by a previous process: that one may end in a torn record, and readers stop there.
   */
  static async open(opts: WalWriterOptions): Promise<WalWriter> {
    const w = new WalWriter(opts);
    await fs.mkdir(w.dir, { recursive: true });
    const existing = await listSegments(opts.walDir, opts.writer);
    w.seq = existing.at(-1)?.seq ?? 0;
    await w.roll();
    return w;
  }

  get dir(): string {
    return path.join(this.opts.walDir, this.opts.writer);
  }

  get currentSegment(): string {
    return path.join(this.dir, segmentName(this.seq));
  }

  /** Resolves once the record is on stable storage; rejects if it may not be. */
  append(body: Buffer, flags = 0): Promise<void> {
    if (this.closed) return Promise.reject(new Error('WAL writer is closed'));
    const data = encodeRecord(body, this.now(), flags);
    return new Promise((resolve, reject) => {
      this.queue.push({ data, resolve, reject });
      if (!this.flushing) void this.flushLoop();
    });
  }

  /** The last append's error, until an append succeeds again; /ready reports it. */
  get lastFailure(): Error | undefined {
    return this.failure;
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing || this.queue.length > 0) await new Promise((r) => setImmediate(r));
    await this.fh?.close();
    this.fh = undefined;
  }

  private async flushLoop(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.opts.sync === 'each' ? this.queue.splice(0, 1) : this.queue.splice(0);
        await this.flush(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    const bytes = batch.reduce((n, p) => n + p.data.length, 0);
    try {
      if (!this.fh || this.segmentDue()) await this.roll();
      const fh = this.fh as fs.FileHandle;

      const started = process.hrtime.bigint();
      // One contiguous buffer: cheaper for the kernel than an iovec of hundreds of small ones.
      const data =
        batch.length === 1
          ? (batch[0] as Pending).data
          : Buffer.concat(
              batch.map((p) => p.data),
              bytes,
            );
      const { bytesWritten } = await fh.write(data, 0, data.length, null);
      if (bytesWritten !== bytes) throw new Error(`short write: ${bytesWritten} of ${bytes} bytes`);
      await fh.datasync();
      this.segmentSize += bytes;
      const syncSeconds = Number(process.hrtime.bigint() - started) / 1e9;

      this.failure = undefined;
      for (const p of batch) p.resolve();
      this.opts.onFlush?.({ records: batch.length, bytes, syncSeconds });
    } catch (err) {
      const wrapped = new Error(`WAL append to ${this.currentSegment}: ${(err as Error).message}`, {
        cause: err,
      });
      this.failure = wrapped;
      await this.discardTail();
      for (const p of batch) p.reject(wrapped);
    }
  }

  /**
   * After a failed write or fsync, what follows the last durable byte is unknown (a partial
   * write, or dirty pages the kernel dropped), so it is cut off and the next batch writes there
   * again. Rolling to a new segment instead would leave one empty file per refused request
   * while a volume is full. If even the truncation fails, the segment is given up and the next
   * batch starts a new one.
   */
  private async discardTail(): Promise<void> {
    const fh = this.fh;
    if (!fh) return;
    try {
      await fh.truncate(this.segmentSize);
      await fh.datasync();
    } catch {
      this.fh = undefined;
      await fh.close().catch(() => undefined /* the append error is what gets reported */);
    }
  }

  private segmentDue(): boolean {
    return (
      this.segmentSize >= this.opts.segmentBytes ||
      this.now() - this.segmentOpenedAt >= this.opts.segmentMaxAgeMs
    );
  }

  private async roll(): Promise<void> {
    const previous = this.fh;
    this.fh = undefined;
    await previous?.close();
    // A segment of ours that never received a record (given up after a failure) is reused by
    // name rather than left behind empty.
    if (this.ownsCurrent && this.segmentSize === 0)
      await fs.rm(this.currentSegment, { force: true });
    else this.seq += 1;
    this.fh = await fs.open(this.currentSegment, 'wx');
    this.ownsCurrent = true;
    await fsyncDir(this.dir);
    this.segmentSize = 0;
    this.segmentOpenedAt = this.now();
  }
}
