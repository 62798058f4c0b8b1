import pg from 'pg';
import {
  decodeStored,
  withDeadline,
  type DedupStore,
  type PutResult,
  type StoredOutcome,
} from './store.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS flk_dedup (
  pcs_id     text PRIMARY KEY,
  status     smallint NOT NULL,
  outcome    jsonb NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS flk_dedup_expires_at ON flk_dedup (expires_at);
`;

// An expired row may be replaced; a live one never is. RETURNING yields a row only when this
// statement inserted or replaced, which is how the caller learns it won.
const PUT = `
INSERT INTO flk_dedup (pcs_id, status, outcome, expires_at)
VALUES ($1, $2, $3, now() + make_interval(secs => $4::double precision / 1000))
ON CONFLICT (pcs_id) DO UPDATE
  SET status = EXCLUDED.status, outcome = EXCLUDED.outcome, expires_at = EXCLUDED.expires_at
  WHERE flk_dedup.expires_at <= now()
RETURNING pcs_id`;

const GET = `SELECT status, outcome FROM flk_dedup WHERE pcs_id = $1 AND expires_at > now()`;

/** PostgreSQL store: INSERT … ON CONFLICT, expiry by timestamp, expired rows swept hourly. */
export class PostgresDedupStore implements DedupStore {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;
  private sweeper: NodeJS.Timeout | undefined;
  private schemaReady: Promise<unknown> | undefined;

  constructor(
    conn: string,
    private readonly timeoutMs: number,
    private readonly onError: (err: Error) => void,
  ) {
    this.pool = new pg.Pool({
      connectionString: conn,
      max: 10,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
      statement_timeout: timeoutMs,
      idleTimeoutMillis: 30_000,
    });
    // An idle client whose server went away emits here; unhandled, it would end the process.
    this.pool.on('error', onError);
  }

  /** Creates the table; a server that is down now is retried on the next request. */
  async open(): Promise<void> {
    this.sweeper = setInterval(() => {
      this.pool
        .query('DELETE FROM flk_dedup WHERE expires_at <= now()')
        .catch((err: Error) => this.onError(err));
    }, 3_600_000);
    this.sweeper.unref();
    await withDeadline('postgres', 'migrate', this.timeoutMs * 4, () => this.ensureSchema());
  }

  private ensureSchema(): Promise<unknown> {
    this.schemaReady ??= this.pool.query(SCHEMA).catch((err: unknown) => {
      this.schemaReady = undefined;
      throw err;
    });
    return this.schemaReady;
  }

  get(pcsId: string): Promise<StoredOutcome | undefined> {
    return withDeadline('postgres', 'get', this.timeoutMs, async () => {
      await this.ensureSchema();
      const res = await this.pool.query<{ status: number; outcome: unknown }>(GET, [pcsId]);
      const row = res.rows[0];
      return row ? this.decodeRow(row, pcsId) : undefined;
    });
  }

  putIfAbsent(pcsId: string, value: StoredOutcome, ttlMs: number): Promise<PutResult> {
    return withDeadline('postgres', 'put', this.timeoutMs, async () => {
      await this.ensureSchema();
      const ins = await this.pool.query(PUT, [
        pcsId,
        value.status,
        JSON.stringify(value.outcome),
        ttlMs,
      ]);
      if (ins.rowCount === 1) return { stored: value, won: true };

      const res = await this.pool.query<{ status: number; outcome: unknown }>(GET, [pcsId]);
      const row = res.rows[0];
      if (!row) return this.putIfAbsent(pcsId, value, ttlMs);
      return { stored: this.decodeRow(row, pcsId), won: false };
    });
  }

  private decodeRow(row: { status: number; outcome: unknown }, pcsId: string): StoredOutcome {
    return decodeStored(
      JSON.stringify({ status: row.status, outcome: row.outcome }),
      `flk_dedup row ${pcsId}`,
    );
  }

  async ping(): Promise<void> {
    await withDeadline('postgres', 'ping', this.timeoutMs, () => this.pool.query('SELECT 1'));
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await this.pool.end();
  }
}
