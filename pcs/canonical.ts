/**
 * The canonical signing payload (DESIGN §2.1), byte-identical to the reference Python agent:
 *
 *   json.dumps({pcs_id, merkle_root, epoch, shard_id, D_hat, coh_star, r, budget},
 *              sort_keys=True, separators=(",", ":"))        # ensure_ascii=True
 *
 * with the four numbers passed through quantize9 first and printed as Python floats.
 */
import { createHash } from 'node:crypto';

import { formatPyFloat, quantize9 } from './pyfloat.ts';
import type { PcsRecord } from './record.ts';

export { formatPyFloat, quantize9 } from './pyfloat.ts';

/** The eight fields the signature covers. */
export type SignedFields = Pick<
  PcsRecord,
  'pcs_id' | 'merkle_root' | 'epoch' | 'shard_id' | 'D_hat' | 'coh_star' | 'r' | 'budget'
>;

/** Matches a lone surrogate only: in `u` mode a well-formed pair is one code point. */
const LONE_SURROGATE = /\p{Cs}/u;

/** True when `text` has no lone surrogate, so it has a UTF-8 encoding (Python's `.encode()`). */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

const SHORT_ESCAPES: Record<number, string> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x08: '\\b',
  0x0c: '\\f',
};

/**
 * A JSON string literal as Python's `json.dumps(ensure_ascii=True)` writes it: printable ASCII
 * (0x20-0x7e) as is, `"` `\` and \n \r \t \b \f with short escapes, everything else — other
 * control characters, DEL, non-ASCII — as `\uXXXX` in lower-case hex, one per UTF-16 code unit
 * (so astral characters become surrogate pairs and lone surrogates pass through escaped).
 */
export function pyJsonString(text: string): string {
  let out = '"';
  let chunk = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c) continue;
    out += text.slice(chunk, i) + (SHORT_ESCAPES[c] ?? `\\u${c.toString(16).padStart(4, '0')}`);
    chunk = i + 1;
  }
  return `${out}${text.slice(chunk)}"`;
}

/** A signed number as the payload prints it: quantized, then Python's float repr. */
export function canonicalNumber(x: number): string {
  return formatPyFloat(quantize9(x));
}

/**
 * The exact bytes the reference agent signs for `rec`. Keys are in Python's sorted order
 * (code-point order: `D_hat` sorts before lower-case keys). Throws a RangeError for a number
 * the reference cannot quantize (non-finite or |x| >= 1e19); pcs/parse.ts refuses those first.
 */
export function canonicalPayload(rec: SignedFields): Buffer {
  const json =
    `{"D_hat":${canonicalNumber(rec.D_hat)}` +
    `,"budget":${canonicalNumber(rec.budget)}` +
    `,"coh_star":${canonicalNumber(rec.coh_star)}` +
    `,"epoch":${rec.epoch.toString()}` +
    `,"merkle_root":${pyJsonString(rec.merkle_root)}` +
    `,"pcs_id":${pyJsonString(rec.pcs_id)}` +
    `,"r":${canonicalNumber(rec.r)}` +
    `,"shard_id":${pyJsonString(rec.shard_id)}}`;
  // ensure_ascii output is pure ASCII, so one byte per character.
  return Buffer.from(json, 'latin1');
}

/**
 * `pcs_id`: hex SHA-256 of the UTF-8 bytes of `<merkle_root>|<epoch>|<shard_id>`. Throws a
 * TypeError on a lone surrogate, which has no UTF-8 form (Python raises UnicodeEncodeError;
 * Node would silently substitute U+FFFD and collide with a different id).
 */
export function computePcsId(merkleRoot: string, epoch: bigint, shardId: string): string {
  const input = `${merkleRoot}|${epoch.toString()}|${shardId}`;
  if (!isWellFormedText(input)) {
    throw new TypeError('pcs_id input holds a lone surrogate, which has no UTF-8 encoding');
  }
  return createHash('sha256').update(input, 'utf8').digest('hex');
}
