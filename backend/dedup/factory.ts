import type { BackendConfig } from '../config.ts';
import { MemoryDedupStore } from './memory.ts';
import { PostgresDedupStore } from './postgres.ts';
import { RedisDedupStore } from './redis.ts';
import type { DedupStore } from './store.ts';

/**
 * Builds and opens the configured store. A remote store that is down at start does not stop the
 * backend: it starts unready, answers 503, and serves as soon as the store is back.
 */
export async function openDedupStore(
  cfg: BackendConfig,
  onError: (err: Error) => void,
): Promise<DedupStore> {
  switch (cfg.dedupBackend) {
    case 'memory': {
      const store = new MemoryDedupStore({ snapshotPath: cfg.dedupSnapshot, onError });
      await store.open();
      return store;
    }
    case 'redis': {
      const store = new RedisDedupStore(cfg.redisAddr as string, cfg.storeTimeoutMs, onError);
      await store.open().catch(onError);
      return store;
    }
    case 'postgres': {
      const store = new PostgresDedupStore(cfg.postgresConn as string, cfg.storeTimeoutMs, onError);
      await store.open().catch(onError);
      return store;
    }
  }
}
