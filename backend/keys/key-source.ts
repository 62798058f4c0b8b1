import type { Logger } from 'pino';
import { KeySet, loadKeyDir, type VerifierKey } from '../../pcs/keys.ts';
import type { Metrics } from '../metrics.ts';
import { WatchedReload, type ReadResult } from '../reload/watched-reload.ts';

export interface KeySourceOptions {
  /** Keys from the reference environment (PCS_HMAC_KEY, PCS_ED25519_PUB_B64). */
  envKeys: VerifierKey[];
  /** Mounted verifier Secrets (PCS_KEYS_DIR). */
  dirs: string[];
  pollMs: number;
  log: Logger;
  metrics: Metrics;
}

/**
 * The verifier keys in force, reloaded when kubelet swaps a mounted Secret (watch, poll and
 * retries are WatchedReload's). A read that still reports a problem after its retries is applied
 * anyway, with the keys it could read, and counted: one unreadable file must not take every other
 * key away. The set in force is replaced in one assignment, so a request sees the old set or the
 * new one, never none.
 */
export class KeySource {
  private set: KeySet;
  private fingerprint = '';
  private readonly reloader: WatchedReload<VerifierKey[]>;

  private constructor(private readonly opts: KeySourceOptions) {
    this.set = new KeySet(opts.envKeys);
    this.reloader = new WatchedReload({
      dirs: opts.dirs,
      pollMs: opts.pollMs,
      log: opts.log,
      read: () => this.loadAll(),
      settle: (r) => this.settle(r),
    });
  }

  static async start(opts: KeySourceOptions): Promise<KeySource> {
    const src = new KeySource(opts);
    await src.reloader.start();
    return src;
  }

  get keys(): KeySet {
    return this.set;
  }

  get keyIds(): string[] {
    return this.set.keys.map((k) => k.kid);
  }

  /** Loads every source now; concurrent callers share one reload. */
  async reload(): Promise<void> {
    await this.reloader.reload();
  }

  close(): void {
    this.reloader.close();
  }

  private async loadAll(): Promise<ReadResult<VerifierKey[]>> {
    const byKid = new Map<string, VerifierKey>();
    const problems: string[] = [];
    for (const k of this.opts.envKeys) byKid.set(k.kid, k);
    for (const dir of this.opts.dirs) {
      try {
        const res = await loadKeyDir(dir);
        for (const k of res.keys) byKid.set(k.kid, k);
        problems.push(...res.errors);
      } catch (err) {
        problems.push(`${dir}: ${(err as Error).message}`);
      }
    }
    return { value: [...byKid.values()], problems };
  }

  private settle({ value: keys, problems }: ReadResult<VerifierKey[]>): void {
    if (problems.length > 0) {
      this.opts.metrics.keyReloadErrors.inc();
      this.opts.log.error(
        { errors: problems, dirs: this.opts.dirs },
        'key directory has unreadable entries',
      );
    }
    this.apply(keys);
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
}
