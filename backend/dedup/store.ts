import type { Outcome } from '../../pcs/signals.ts';

/** What the dedup store keeps per pcs_id: the first outcome and the status it was answered with. */
export interface StoredOutcome {
  status: 200 | 202;
  outcome: Outcome;
}

export interface PutResult {
  /** The outcome held by the store after the call: ours, or the one that got there first. */
  stored: StoredOutcome;
  /** True when this call wrote it. */
  won: boolean;
}

export interface DedupStore {
  readonly kind: 'memory' | 'redis' | 'postgres';
  get(pcsId: string): Promise<StoredOutcome | undefined>;
  /** First write wins: an existing, unexpired entry is never replaced. */
  putIfAbsent(pcsId: string, value: StoredOutcome, ttlMs: number): Promise<PutResult>;
  /** Resolves when the store answers; used by /ready. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The store could not answer in time or at all. The ingest fails closed with 503. */
export class StoreUnavailableError extends Error {
  constructor(store: string, op: string, cause: unknown) {
    super(`${store} dedup store unavailable during ${op}: ${(cause as Error)?.message ?? cause}`, {
      cause,
    });
    this.name = 'StoreUnavailableError';
  }
}

/**
 * Bounds a store call even when the client's own timeouts do not fire (a half-open TCP
 * connection, a pool waiting for a free client), so no request outlives its deadline.
 */
export async function withDeadline<T>(
  store: string,
  op: string,
  ms: number,
  run: () => Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([run(), deadline]);
  } catch (err) {
    throw err instanceof StoreUnavailableError ? err : new StoreUnavailableError(store, op, err);
  } finally {
    clearTimeout(timer);
  }
}

export function decodeStored(text: string, where: string): StoredOutcome {
  const v = JSON.parse(text) as StoredOutcome;
  if ((v.status !== 200 && v.status !== 202) || typeof v.outcome !== 'object' || v.outcome === null)
    throw new Error(`malformed dedup entry in ${where}`);
  return v;
}
