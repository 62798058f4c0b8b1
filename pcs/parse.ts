/**
 * Strict parse of a submitted PCS body into a typed {@link PcsRecord} (DESIGN §2, §3 step 3).
 *
 * What is refused here (400) and what is left to pcs/signals.ts (202):
 * DESIGN §2.3 says a failed structure or math check is accepted=false, escalated=true, while "a
 * wrongly typed or unparsable field never gets this far". So this module checks only what a
 * field IS — its JSON type, integer-ness, that a number survives as a double, that a timestamp is
 * a timestamp — never what a well-typed value SAYS. Concretely:
 *
 * - 400 here: not one JSON object; duplicate or prototype keys at any depth; a required field
 *   missing; a string where a number belongs (or any other wrong JSON type); a fraction or
 *   exponent token (`3.0`, `1e2`) where an integer belongs (epoch, attempt, seed, scales[],
 *   N_j values, ft.outbox_seq); a number a double cannot hold (unsafe_number; epoch alone is kept
 *   exact as a bigint, up to the signed 64-bit range); `sent_at` not RFC 3339; a lone surrogate in
 *   `shard_id` or `merkle_root` (they are hashed as UTF-8, which cannot encode one); a signed
 *   number of magnitude >= 1e19, which the reference's canonical form cannot quantize.
 * - 202 later (verifyStructure / verifySignals): wrong `schema` or `version` value, empty
 *   `shard_id`/`merkle_root`, `epoch < 0`, empty `scales`, `pcs_id` not the recomputed id, a
 *   missing or non-positive N_j, a non-positive scale, `coh_star` out of range, a `regime`
 *   outside the three names (it is a mismatch), and any math disagreement.
 *
 * Unknown extra fields are ignored (their syntax still has to be valid JSON, and duplicate or
 * prototype keys inside them are still refused: that rule is about the document, not the field).
 * `ft` is optional; `"ft": null` counts as absent; when present all four members are typed.
 * The result is a typed copy: nothing of the parsed tree, and no prototype, leaks out.
 */
import { isUtf8 } from 'node:buffer';

import {
  COUNTS,
  EPOCH,
  FAULT_TOLERANCE,
  INTEGER,
  INTEGERS,
  InputRefusal,
  NUMBERS,
  SIGNED_NUMBER,
  STRING,
  TEXT,
  TIMESTAMP,
  describe,
  field,
  isObject,
} from './fields.ts';
import { JsonParseError, parseJson } from './json.ts';
import type { JsonObject, JsonValue } from './json.ts';
import type { PcsRecord } from './record.ts';

/** Stable error codes of a refused body; the backend answers each with 400. */
export type PcsInputErrorCode =
  | 'empty_body'
  | 'invalid_json'
  | 'duplicate_key'
  | 'forbidden_key'
  | 'unsafe_number'
  | 'invalid_field'
  | 'missing_field';

/** Why a body was refused. `message` names the field and what was expected. */
export interface PcsInputError {
  code: PcsInputErrorCode;
  /** Dotted path of the offending field (`epoch`, `ft.fallbacks[1]`), when there is one. */
  field?: string;
  message: string;
}

/** Outcome of {@link parsePcs}; never throws. */
export type ParseResult = { ok: true; record: PcsRecord } | { ok: false; error: PcsInputError };

/** Options of {@link parsePcs}. */
export interface ParseOptions {
  /** Accept a record without `sig` (it reads as ''): signing tools read records before signing. */
  unsigned?: boolean;
}

/** Only JSON's own whitespace makes a body empty; a lone BOM or NBSP is invalid JSON. */
const JSON_BLANK = /^[ \t\n\r]*$/;

/** Parses and type-checks one submitted body. Never throws. */
export function parsePcs(raw: Buffer | string, options: ParseOptions = {}): ParseResult {
  let text: string;
  if (typeof raw === 'string') {
    text = raw;
  } else {
    if (raw.length > 0 && !isUtf8(raw)) {
      return fail({ code: 'invalid_json', message: 'body is not valid UTF-8' });
    }
    text = raw.toString('utf8');
  }
  if (JSON_BLANK.test(text)) return fail({ code: 'empty_body', message: 'body is empty' });

  let doc: JsonValue;
  try {
    doc = parseJson(text);
  } catch (err) {
    if (!(err instanceof JsonParseError)) throw err;
    const field = err.path === '' ? undefined : err.path;
    return fail({ code: err.code, field, message: err.message });
  }
  if (!isObject(doc)) {
    const message = `body must be a JSON object, got ${describe(doc)}`;
    return fail({ code: 'invalid_json', message });
  }

  try {
    return { ok: true, record: readRecord(doc, options.unsigned === true) };
  } catch (err) {
    if (err instanceof InputRefusal) return fail(err.error);
    throw err;
  }
}

function fail(error: PcsInputError): ParseResult {
  if (error.field === undefined) delete error.field;
  return { ok: false, error };
}

function readRecord(o: JsonObject, unsigned: boolean): PcsRecord {
  // Object literal members are evaluated in order, so the first error reported follows §2.
  const rec: PcsRecord = {
    pcs_id: field(o, 'pcs_id', STRING),
    schema: field(o, 'schema', STRING),
    version: field(o, 'version', STRING),
    shard_id: field(o, 'shard_id', TEXT),
    epoch: field(o, 'epoch', EPOCH),
    attempt: field(o, 'attempt', INTEGER),
    sent_at: field(o, 'sent_at', TIMESTAMP),
    seed: field(o, 'seed', INTEGER),
    scales: field(o, 'scales', INTEGERS),
    N_j: field(o, 'N_j', COUNTS),
    coh_star: field(o, 'coh_star', SIGNED_NUMBER),
    v_star: field(o, 'v_star', NUMBERS),
    D_hat: field(o, 'D_hat', SIGNED_NUMBER),
    r: field(o, 'r', SIGNED_NUMBER),
    regime: field(o, 'regime', STRING),
    budget: field(o, 'budget', SIGNED_NUMBER),
    merkle_root: field(o, 'merkle_root', TEXT),
    sig: unsigned && o.sig === undefined ? '' : field(o, 'sig', STRING),
  };
  const ft = o.ft;
  if (ft !== undefined && ft !== null) rec.ft = FAULT_TOLERANCE.read(ft, 'ft');
  return rec;
}
