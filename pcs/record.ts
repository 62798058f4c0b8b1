/**
 * The PCS record model (DESIGN §2): the shape a parsed record has inside FLK.
 *
 * Types here are the wire types after the strict parse (pcs/parse.ts): every number has been
 * checked to survive as a double, integers are integers, and `epoch` is exact.
 */

/** The `schema` value of every record this product verifies. */
export const PCS_SCHEMA = 'fractal-lba-kakeya';

/** The `version` value of every record this product verifies. */
export const PCS_VERSION = '0.1';

/** The three regimes of DESIGN §2.3 step 4. */
export const REGIMES = ['sticky', 'mixed', 'non_sticky'] as const;

/** A regime name; the record's own `regime` may hold anything, a mismatch is escalated. */
export type Regime = (typeof REGIMES)[number];

/** Fault-tolerance telemetry an agent may attach; not signed, not verified. */
export interface PcsFaultTolerance {
  outbox_seq: number;
  degraded: boolean;
  fallbacks: string[];
  clock_skew_ms: number;
}

/** One parsed PCS record. Field names are the wire names. */
export interface PcsRecord {
  /** Hex SHA-256 of the UTF-8 bytes of `<merkle_root>|<epoch>|<shard_id>`. */
  pcs_id: string;
  schema: string;
  version: string;
  /** Any Unicode text (well-formed: no lone surrogates, since it is hashed as UTF-8). */
  shard_id: string;
  /** Exact: a JSON integer of up to 64 bits, beyond what a double holds. */
  epoch: bigint;
  attempt: number;
  /** RFC 3339 timestamp, as sent. */
  sent_at: string;
  seed: number;
  scales: number[];
  /** Decimal string of each scale -> count. A null-prototype object when parsed. */
  N_j: Record<string, number>;
  coh_star: number;
  v_star: number[];
  D_hat: number;
  r: number;
  /** As claimed by the agent; compared with the recomputed regime, not trusted. */
  regime: string;
  budget: number;
  merkle_root: string;
  /** Base64 signature over the canonical payload (pcs/canonical.ts). */
  sig: string;
  ft?: PcsFaultTolerance;
}

/**
 * The record as compact JSON, with `epoch` written exactly (JSON.stringify cannot write a
 * bigint) and negative zero kept as `-0.0` (JSON.stringify writes `0`, which parses back as +0
 * and would change the canonical payload from `-0.0` to `0.0`). Other numbers print in
 * JavaScript's shortest round-trip form, which parses back to the same doubles.
 */
export function formatRecord(rec: PcsRecord): string {
  return jsonText(rec);
}

function jsonText(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Object.is(value, -0) ? '-0.0' : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const parts: string[] = [];
    for (const [key, member] of Object.entries(value)) {
      if (member !== undefined) parts.push(`${JSON.stringify(key)}:${jsonText(member)}`);
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value);
}
