import fs from 'node:fs';
import type { Logger } from 'pino';

/** What one read of the sources found. */
export interface ReadResult<T> {
  value: T;
  /**
   * Why the read is not clean, one line each. A read that lands in the middle of kubelet's swap
   * looks exactly like a broken file, so any problem makes the read worth retrying.
   */
  problems: string[];
}

export interface WatchedReloadOptions<T> {
  /** Folders whose changes trigger a reload (mounted Secrets). Empty: read once, never watch. */
  dirs: readonly string[];
  /** Backup poll, for file systems where watches do not fire. */
  pollMs: number;
  /** The owner's logger; watch failures are logged on it. */
  log: Logger;
  /** Reads every source once. Should not throw: report problems instead. */
  read(): Promise<ReadResult<T>>;
  /** Receives each settled read (after retries), clean or not, including the first. */
  settle(result: ReadResult<T>): void;
  /** Reads per reload while problems remain (default 3). */
  attempts?: number;
  retryDelayMs?: number;
  /** Quiet period after a watch event: kubelet's swap fires several events. */
  debounceMs?: number;
}

/**
 * Keeps something read from mounted files current, the way kubelet updates a Secret volume: it
 * writes a new timestamped folder and flips the `..data` symlink. A watch on each folder gives a
 * prompt reload, a poll backs it up, events are debounced, a read that found problems is retried
 * before it is settled, and reloads never overlap: a request made while one runs gets a fresh
 * read after it, so a change that landed mid-read is not missed.
 *
 * Used by the verifier keys (PCS_KEYS_DIR) and the TLS certificate (TLS_CERT_FILE and friends);
 * what a settled read means (apply what was read, or keep what is in force) is the owner's call.
 */
export class WatchedReload<T> {
  private watchers: fs.FSWatcher[] = [];
  private poller: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private running: Promise<ReadResult<T>> | undefined;
  private queued: Promise<ReadResult<T>> | undefined;
  private closed = false;

  constructor(private readonly opts: WatchedReloadOptions<T>) {}

  /**
   * The first read, settled; then watching and polling begin. With `accept`, they begin only
   * when it accepts the first read: an owner that gives up on a bad start (the certificate) must
   * not first log a watch failure about the very folder it is about to report missing.
   */
  async start(accept: (first: ReadResult<T>) => boolean = () => true): Promise<ReadResult<T>> {
    const first = await this.reload();
    if (this.opts.dirs.length > 0 && !this.closed && accept(first)) {
      this.watch();
      this.poller = setInterval(() => this.schedule(0), this.opts.pollMs);
      this.poller.unref();
    }
    return first;
  }

  /** Reads and settles now; callers during a running reload share the one queued after it. */
  reload(): Promise<ReadResult<T>> {
    if (this.running) {
      this.queued ??= this.running.then(
        () => this.rerun(),
        () => this.rerun(),
      );
      return this.queued;
    }
    this.running = this.readWithRetry().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.poller);
    clearTimeout(this.debounce);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  private rerun(): Promise<ReadResult<T>> {
    this.queued = undefined;
    return this.reload();
  }

  private async readWithRetry(): Promise<ReadResult<T>> {
    const attempts = this.opts.attempts ?? 3;
    let result = await this.opts.read();
    for (let attempt = 2; attempt <= attempts && result.problems.length > 0; attempt++) {
      await new Promise((r) => setTimeout(r, this.opts.retryDelayMs ?? 300));
      result = await this.opts.read();
    }
    this.opts.settle(result);
    return result;
  }

  private watch(): void {
    for (const dir of new Set(this.opts.dirs)) {
      try {
        const w = fs.watch(dir, () => this.schedule(this.opts.debounceMs ?? 200));
        w.on('error', (err) => this.opts.log.warn({ err, dir }, 'folder watch failed; polling'));
        this.watchers.push(w);
      } catch (err) {
        this.opts.log.warn({ err, dir }, 'folder cannot be watched; polling');
      }
    }
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.reload().catch((err: Error) => this.opts.log.error({ err }, 'reload failed'));
    }, delayMs);
    this.debounce.unref();
  }
}
