import fs from 'node:fs';
import type { Logger } from 'pino';
import { KeySet, loadKeyDir, type VerifierKey } from '../../pcs/keys.ts';
import type { Metrics } from '../metrics.ts';

export interface KeySourceOptions {
  /** Keys from the reference environment (PCS_HMAC_KEY, PCS_ED25519_PUB_B64). */
  envKeys: VerifierKey[];
  /** Mounted verifier Secrets (PCS_KEYS_DIR). */
  dirs: string[];
  pollMs: number;
  log: Logger;
  metrics: Metrics;
}

const RETRIES = 3;
const RETRY_DELAY_MS = 300;

/**
 * The verifier keys in force, reloaded when kubelet swaps a mounted Secret.
 *
 * Kubelet writes a new timestamped folder and flips the `..data` symlink, so a read can land
 * mid-swap and miss a file. A reload that reports a problem is retried before it is applied,
 * and the set in force is replaced in one assignment: a request sees the old set or the new
 * one, never none. A file watch gives a prompt reload; a poll backs it up on file systems
 * where watches do not fire.
 */
export class KeySource {
  private set: KeySet;
  private fingerprint = '';
  private watchers: fs.FSWatcher[] = [];
  private poller: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;

  private constructor(private readonly opts: KeySourceOptions) {
    this.set = new KeySet(opts.envKeys);
  }

  static async start(opts: KeySourceOptions): Promise<KeySource> {
    const src = new KeySource(opts);
    await src.reload();
    if (opts.dirs.length > 0) {
      src.watch();
      src.poller = setInterval(() => src.scheduleReload(0), opts.pollMs);
      src.poller.unref();
    }
    return src;
  }

  get keys(): KeySet {
    return this.set;
  }

  get keyIds(): string[] {
    return this.set.keys.map((k) => k.kid);
  }

  /** Loads every source now; concurrent callers share one reload. */
  reload(): Promise<void> {
    this.reloading ??= this.loadWithRetry().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  close(): void {
    clearInterval(this.poller);
    clearTimeout(this.debounce);
    for (const w of this.watchers) w.close();
  }

  private async loadWithRetry(): Promise<void> {
    let keys: VerifierKey[] = [];
    let errors: string[] = [];
    for (let attempt = 1; attempt <= RETRIES; attempt++) {
      ({ keys, errors } = await this.loadAll());
      if (errors.length === 0) break;
      if (attempt < RETRIES) await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
    }
    if (errors.length > 0) {
      this.opts.metrics.keyReloadErrors.inc();
      this.opts.log.error({ errors, dirs: this.opts.dirs }, 'key directory has unreadable entries');
    }
    this.apply(keys);
  }

  private async loadAll(): Promise<{ keys: VerifierKey[]; errors: string[] }> {
    const byKid = new Map<string, VerifierKey>();
    const errors: string[] = [];
    for (const k of this.opts.envKeys) byKid.set(k.kid, k);
    for (const dir of this.opts.dirs) {
      try {
        const res = await loadKeyDir(dir);
        for (const k of res.keys) byKid.set(k.kid, k);
        errors.push(...res.errors);
      } catch (err) {
        errors.push(`${dir}: ${(err as Error).message}`);
      }
    }
    return { keys: [...byKid.values()], errors };
  }

  /**
   * Always replaces the set: a key file rewritten under the same kid (fewer schemes, another
   * secret) must take effect too, and swapping a small array costs nothing. Only a change in
   * what the set says (kids, schemes, windows) is logged.
   */
  private apply(keys: VerifierKey[]): void {
    this.set = new KeySet(keys);
    const g = this.opts.metrics.keysLoaded;
    g.reset();
    for (const k of keys) g.set({ kid: k.kid, alg: k.alg }, 1);

    const fingerprint = keys
      .map((k) => `${k.kid}/${k.schemes.join('+')}/${k.notAfter?.toISOString() ?? ''}`)
      .sort()
      .join(',');
    if (fingerprint === this.fingerprint) return;
    this.fingerprint = fingerprint;
    this.opts.log.info({ keyIds: this.keyIds }, 'verifier keys loaded');
  }

  private watch(): void {
    for (const dir of this.opts.dirs) {
      try {
        const w = fs.watch(dir, () => this.scheduleReload(200));
        w.on('error', (err) =>
          this.opts.log.warn({ err, dir }, 'key directory watch failed; polling'),
        );
        this.watchers.push(w);
      } catch (err) {
        this.opts.log.warn({ err, dir }, 'key directory cannot be watched; polling');
      }
    }
  }

  private scheduleReload(delayMs: number): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.reload().catch((err: Error) => this.opts.log.error({ err }, 'key reload failed'));
    }, delayMs);
    this.debounce.unref();
  }
}
