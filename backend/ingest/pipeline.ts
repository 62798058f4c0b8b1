import type { Logger } from 'pino';
import { canonicalPayload } from '../../pcs/canonical.ts';
import { parsePcs } from '../../pcs/parse.ts';
import type { PcsRecord } from '../../pcs/record.ts';
import { verifySignals, type Outcome, type Tolerances } from '../../pcs/signals.ts';
import type { DedupStore, StoredOutcome } from '../dedup/store.ts';
import { StoreUnavailableError } from '../dedup/store.ts';
import { ApiError } from '../http/errors.ts';
import type { KeySource } from '../keys/key-source.ts';
import type { Metrics } from '../metrics.ts';
import { FLAG_JSON } from '../wal/format.ts';

/** The one thing the ingest needs of the WAL; the `wal replay` command passes a read-only one. */
export interface WalAppender {
  append(body: Buffer, flags: number): Promise<void>;
}

export interface IngestDeps {
  wal: WalAppender;
  store: DedupStore;
  /** Undefined when signing is off (PCS_SIGN_ALG=none, development only). */
  keys: KeySource | undefined;
  tolerances: Tolerances;
  dedupTtlMs: number;
  metrics: Metrics;
}

export interface IngestAnswer {
  status: 200 | 202;
  body: Outcome & { dedup_hit: boolean };
  pcsId: string;
}

const STORE_RETRY_AFTER_S = 1;
const PCS_ID = /^[0-9a-f]{64}$/;
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * The verify-before-dedup ingest, in the order that is the contract (DESIGN §3): the raw body
 * is made durable first, then parsed, then its signature checked, and only a record whose
 * signature holds is looked up in, verified against and written to the dedup store. The rate
 * limit runs before all of this, in the HTTP layer, so a refused request costs no disk.
 */
export class Ingest {
  /** Identical records in flight at once share one store round trip and one answer. */
  private readonly inFlight = new Map<string, Promise<{ stored: StoredOutcome; hit: boolean }>>();

  constructor(private readonly deps: IngestDeps) {}

  async submit(raw: Buffer, contentType: string | undefined, log: Logger): Promise<IngestAnswer> {
    const m = this.deps.metrics;
    m.ingestTotal.inc();

    const isJson = contentType !== undefined && JSON_TYPE.test(contentType);
    await this.appendToWal(raw, isJson);
    if (!isJson)
      throw new ApiError(
        'unsupported_media_type',
        `Content-Type must be application/json, got ${contentType ? `"${contentType}"` : 'none'}`,
      );

    const record = this.parse(raw);
    this.checkSignature(record, log);

    const { stored, hit } = await this.dedupAndStore(record);
    if (hit) m.dedupHits.inc();
    return { status: stored.status, body: answerBody(stored.outcome, hit), pcsId: record.pcs_id };
  }

  private async appendToWal(raw: Buffer, isJson: boolean): Promise<void> {
    const walBytes = this.deps.metrics.walBytes;
    try {
      await this.deps.wal.append(raw, isJson ? FLAG_JSON : 0);
      walBytes.inc(raw.length);
    } catch (err) {
      this.deps.metrics.walErrors.inc();
      // The client learns only that it must retry; the cause (paths, errno) goes to the log.
      throw new ApiError(
        'wal_unavailable',
        'the request could not be recorded durably; retry',
        undefined,
        1,
        err,
      );
    }
  }

  private parse(raw: Buffer): PcsRecord {
    const res = parsePcs(raw);
    if (res.ok) return res.record;
    this.deps.metrics.rejectedInput.inc({ code: res.error.code });
    throw new ApiError(res.error.code, res.error.message, res.error.field);
  }

  private checkSignature(record: PcsRecord, log: Logger): void {
    const keys = this.deps.keys;
    if (!keys) return;

    const verdict = keys.keys.verify(canonicalPayload(record), record.sig);
    if (verdict.ok) {
      // A child logger per request would cost more than the rest of this step; pcs_id is a field.
      if (log.isLevelEnabled('debug'))
        log.debug(
          { pcs_id: record.pcs_id, kid: verdict.kid, scheme: verdict.scheme },
          'signature verified',
        );
      return;
    }
    this.deps.metrics.signatureErrors.inc();
    this.deps.metrics.signatureErrorsByReason.inc({ reason: verdict.reason });
    throw new ApiError('signature_invalid', signatureMessage(verdict.reason), 'sig');
  }

  private dedupAndStore(record: PcsRecord): Promise<{ stored: StoredOutcome; hit: boolean }> {
    // A pcs_id that cannot be a SHA-256 hex digest fails the structure check whatever the store
    // says, and is no key to remember an answer under: NUL bytes, lone surrogates (which UTF-8
    // folds into one replacement character, so two ids would share an entry) or kilobytes of
    // text. Such a record is answered 202 without a store round trip.
    if (!PCS_ID.test(record.pcs_id)) return Promise.resolve(this.unstorable(record));

    const running = this.inFlight.get(record.pcs_id);
    if (running) return running;

    const flight = this.lookupVerifyStore(record).finally(() =>
      this.inFlight.delete(record.pcs_id),
    );
    this.inFlight.set(record.pcs_id, flight);
    return flight;
  }

  private async lookupVerifyStore(
    record: PcsRecord,
    ttlMs = this.deps.dedupTtlMs,
  ): Promise<{ stored: StoredOutcome; hit: boolean }> {
    const found = await this.timedStore('get', () => this.deps.store.get(record.pcs_id));
    if (found) return { stored: found, hit: true };

    const outcome = verifySignals(record, this.deps.tolerances);
    const status = outcome.accepted && !outcome.escalated ? 200 : 202;
    const put = await this.timedStore('put', () =>
      this.deps.store.putIfAbsent(record.pcs_id, { status, outcome }, ttlMs),
    );
    if (put.won) {
      if (outcome.accepted) this.deps.metrics.accepted.inc();
      if (outcome.escalated) this.deps.metrics.escalated.inc();
    }
    return { stored: put.stored, hit: !put.won };
  }

  private unstorable(record: PcsRecord): { stored: StoredOutcome; hit: boolean } {
    const outcome = verifySignals(record, this.deps.tolerances);
    this.deps.metrics.escalated.inc();
    return {
      stored: { status: 202, outcome: { ...outcome, accepted: false, escalated: true } },
      hit: false,
    };
  }

  private async timedStore<T>(op: 'get' | 'put', run: () => Promise<T>): Promise<T> {
    const m = this.deps.metrics;
    const end = m.dedupStoreSeconds.startTimer({ op });
    try {
      const v = await run();
      m.dedupStoreUp.set({ backend: this.deps.store.kind }, 1);
      return v;
    } catch (err) {
      m.dedupStoreErrors.inc({ op });
      m.dedupStoreUp.set({ backend: this.deps.store.kind }, 0);
      if (err instanceof StoreUnavailableError)
        throw new ApiError(
          'dedup_unavailable',
          'the dedup store is unavailable; retry',
          undefined,
          STORE_RETRY_AFTER_S,
          err,
        );
      throw err;
    } finally {
      end();
    }
  }

  /**
   * Re-runs steps 3–6 for one WAL record whose answer may never have reached the store (the
   * process died between the fsync and the store write). Idempotent: the store keeps the first
   * outcome, so replaying a record that did reach it changes nothing.
   */
  async replay(
    raw: Buffer,
    flags: number,
    receivedAtMs: number,
    nowMs: number,
  ): Promise<ReplayResult> {
    if ((flags & FLAG_JSON) === 0) return 'skipped';
    const parsed = parsePcs(raw);
    if (!parsed.ok) return 'skipped';
    const record = parsed.record;
    const keys = this.deps.keys;
    if (keys && !keys.keys.verify(canonicalPayload(record), record.sig).ok) return 'rejected';

    const ttlMs = this.deps.dedupTtlMs - (nowMs - receivedAtMs);
    if (ttlMs <= 0) return 'expired';
    if (!PCS_ID.test(record.pcs_id)) return 'skipped';
    const { hit } = await this.lookupVerifyStore(record, ttlMs);
    return hit ? 'present' : 'stored';
  }
}

/**
 * The answer in a fixed field order. A stored outcome may come back from the store with its
 * keys reordered (PostgreSQL's jsonb sorts them), and a duplicate must read byte for byte like
 * the first answer.
 */
function answerBody(o: Outcome, hit: boolean): IngestAnswer['body'] {
  return {
    pcs_id: o.pcs_id,
    accepted: o.accepted,
    escalated: o.escalated,
    ...(o.reason !== undefined && { reason: o.reason }),
    regime: o.regime,
    D_hat: o.D_hat,
    budget: o.budget,
    recomputed_D_hat: o.recomputed_D_hat,
    recomputed_budget: o.recomputed_budget,
    dedup_hit: hit,
  };
}

export type ReplayResult = 'stored' | 'present' | 'rejected' | 'skipped' | 'expired';

function signatureMessage(reason: string): string {
  switch (reason) {
    case 'bad_encoding':
      return 'sig must be standard padded base64 of a 32-byte HMAC or a 64-byte Ed25519 signature';
    case 'no_key':
      return 'no verifier key for this signature scheme is loaded';
    default:
      return 'signature does not match the record under any loaded key';
  }
}
