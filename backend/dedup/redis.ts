import { Redis } from 'ioredis';
import {
  decodeStored,
  withDeadline,
  type DedupStore,
  type PutResult,
  type StoredOutcome,
} from './store.ts';

const PREFIX = 'flk:dedup:';

/**
 * Redis store: `SET key value NX PX ttl` is first-write-wins in one round trip.
 *
 * The client is set up to fail fast rather than queue: with the offline queue off and no
 * per-request retries, a command issued while Redis is down fails at once (the ingest answers
 * 503), and nothing issued during an outage is sent later when the connection returns.
 */
export class RedisDedupStore implements DedupStore {
  readonly kind = 'redis';
  private readonly client: Redis;

  constructor(
    addr: string,
    private readonly timeoutMs: number,
    onError: (err: Error) => void,
  ) {
    const url = addr.includes('://') ? addr : `redis://${addr}`;
    this.client = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: timeoutMs,
      connectTimeout: timeoutMs,
      retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2_000),
    });
    // ioredis emits 'error' on every failed reconnect; without a listener Node would crash.
    this.client.on('error', onError);
  }

  async open(): Promise<void> {
    await withDeadline('redis', 'connect', this.timeoutMs * 4, () => this.client.connect());
  }

  get(pcsId: string): Promise<StoredOutcome | undefined> {
    return withDeadline('redis', 'get', this.timeoutMs, async () => {
      const text = await this.client.get(PREFIX + pcsId);
      return text === null ? undefined : decodeStored(text, `redis key ${PREFIX}${pcsId}`);
    });
  }

  putIfAbsent(pcsId: string, value: StoredOutcome, ttlMs: number): Promise<PutResult> {
    return withDeadline('redis', 'put', this.timeoutMs, async () => {
      const key = PREFIX + pcsId;
      const set = await this.client.set(key, JSON.stringify(value), 'PX', Math.max(1, ttlMs), 'NX');
      if (set === 'OK') return { stored: value, won: true };

      const text = await this.client.get(key);
      // The winner expired between our SET and GET: rare, and storing ours then is still
      // first-write-wins for the new period.
      if (text === null) return this.putIfAbsent(pcsId, value, ttlMs);
      return { stored: decodeStored(text, `redis key ${key}`), won: false };
    });
  }

  async ping(): Promise<void> {
    await withDeadline('redis', 'ping', this.timeoutMs, () => this.client.ping());
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
