import { systemClock, type Clock } from './clock.ts';

/** Versions remembered per key; a burst of writes by others between our write and our look. */
const SEEN_PER_KEY = 8;

type Expectation =
  { kind: 'version'; resourceVersion: string; at: number } | { kind: 'gone'; at: number };

/**
 * Writes the operator made that its caches have not shown yet.
 *
 * Informer caches trail the API server by the time a watch event takes to arrive. A reconcile that
 * runs in that gap (typically the one triggered by the first events of our own writes) would see
 * the old object and write the same thing again: harmless, but it is a write, and a settled
 * operator should make none. So every write records the resourceVersion it produced (or that the
 * object is gone); until a cache event shows that version, the object counts as "in flight" and
 * is neither compared nor written. The event that clears it also requeues the owner, so nothing
 * is missed. An expectation lapses after `ttlMs` in case its event was never seen (a relist can
 * skip versions); the reconcile asks to run again by then.
 *
 * The watch event of a write can arrive before the write's own response is handled, and the
 * object can change again before the next reconcile looks. So the last few versions each key was
 * seen at are remembered, and an expectation for a version already seen is met at once. (Versions
 * are only compared for equality: the API makes no promise that they are ordered numbers.)
 */
export class WriteExpectations {
  private readonly pending = new Map<string, Expectation>();
  private readonly seen = new Map<string, string[]>();
  private readonly clock: Clock;

  constructor(
    private readonly ttlMs = 15_000,
    clock?: Clock,
  ) {
    this.clock = clock ?? systemClock;
  }

  get lifetimeMs(): number {
    return this.ttlMs;
  }

  expectVersion(key: string, resourceVersion: string | undefined): void {
    if (!resourceVersion) return;
    if (this.seen.get(key)?.includes(resourceVersion)) {
      this.pending.delete(key);
      return;
    }
    this.pending.set(key, { kind: 'version', resourceVersion, at: this.clock.now() });
  }

  expectGone(key: string): void {
    this.pending.set(key, { kind: 'gone', at: this.clock.now() });
  }

  /** Feed from informer events: clears the expectation the event satisfies. */
  observe(key: string, obj: { metadata: { resourceVersion?: string } } | undefined): void {
    this.remember(key, obj?.metadata.resourceVersion);
    const expected = this.pending.get(key);
    if (!expected) return;
    if (
      expected.kind === 'gone'
        ? obj === undefined
        : obj?.metadata.resourceVersion === expected.resourceVersion
    ) {
      this.pending.delete(key);
    }
  }

  /** True while a write to `key` is not yet visible in `cached` (the cache's current object). */
  inFlight(key: string, cached: { metadata: { resourceVersion?: string } } | undefined): boolean {
    this.observe(key, cached);
    const expected = this.pending.get(key);
    if (!expected) return false;
    if (this.clock.now() - expected.at >= this.ttlMs) {
      this.pending.delete(key);
      return false;
    }
    return true;
  }

  size(): number {
    return this.pending.size;
  }

  /** Keys with a write not yet seen, for logs. */
  pendingKeys(): string[] {
    return [...this.pending.keys()];
  }

  private remember(key: string, resourceVersion: string | undefined): void {
    if (!resourceVersion) {
      this.seen.delete(key);
      return;
    }
    const versions = this.seen.get(key) ?? [];
    if (versions.at(-1) === resourceVersion) return;
    versions.push(resourceVersion);
    if (versions.length > SEEN_PER_KEY) versions.shift();
    this.seen.set(key, versions);
  }
}
