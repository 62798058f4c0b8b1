/**
 * Loads the golden vector files for tests: the reference agent's (../shared/golden) and this
 * product's own (golden/pcs-extra-vectors.json). Both are read as text and parsed with the strict
 * lossless reader, because one reference epoch (9007199254740993) is beyond a double; each
 * vector's body is the exact text to submit. Also the library-level pipeline that gives the HTTP
 * status a backend must answer (parse -> signature -> signals), so tests at every level agree.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { canonicalPayload } from '../pcs/canonical.ts';
import { JsonNumber, parseJson } from '../pcs/json.ts';
import type { JsonObject, JsonValue } from '../pcs/json.ts';
import { KeySet, keysFromEnv } from '../pcs/keys.ts';
import type { VerifierKey } from '../pcs/keys.ts';
import { parsePcs } from '../pcs/parse.ts';
import type { PcsInputError } from '../pcs/parse.ts';
import type { Scheme } from '../pcs/schemes.ts';
import { verifySignals } from '../pcs/signals.ts';
import type { Outcome } from '../pcs/signals.ts';

/** The repository root, found from this file's location. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The reference agent's vectors, beside the repository in ../shared. */
export const REFERENCE_VECTORS = fileURLToPath(
  new URL('../../shared/golden/reference-agent-vectors.json', import.meta.url),
);

/** This product's generated vectors (golden/generate.py). */
export const EXTRA_VECTORS = fileURLToPath(new URL('./pcs-extra-vectors.json', import.meta.url));

/** Scheme names of the vector files -> the product's scheme names. */
const SCHEME_NAMES: Record<string, Scheme | undefined> = {
  'hmac-digest': 'hmac-sha256',
  'hmac-payload': 'hmac-sha256-payload',
  ed25519: 'ed25519',
};

/** One vector, normalised. */
export interface GoldenVector {
  name: string;
  /** The product's scheme name; undefined for scheme-independent (400) vectors. */
  scheme: Scheme | undefined;
  /** Acceptable statuses (`200|400` becomes [200, 400]). */
  expect: number[];
  /** Exact canonical bytes the agent signed, for untampered vectors. */
  payload?: string;
  /** Exact request body. */
  body: string;
  /** For 400 vectors of the extra file: the expected error code and field. */
  errorCode?: string;
  errorField?: string | null;
}

/** A vector file with its key material. */
export interface GoldenFile {
  hmacKey: string;
  ed25519SeedB64: string;
  ed25519PubB64: string;
  vectors: GoldenVector[];
  /** The parsed document, for sections only some tests read (numbers, strings). */
  doc: JsonObject;
}

/** Serialises a lossless tree back to JSON text, numbers exactly as their tokens. */
export function toJsonText(v: JsonValue): string {
  if (v instanceof JsonNumber) return v.raw;
  if (Array.isArray(v)) return `[${v.map(toJsonText).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .map((k) => `${JSON.stringify(k)}:${toJsonText(v[k]!)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Reads and normalises a vector file. */
export function loadGoldenFile(path: string): GoldenFile {
  const doc = parseJson(readFileSync(path, 'utf8')) as JsonObject;
  const vectors = (doc.vectors as JsonObject[]).map((v): GoldenVector => {
    const expect = v.expect instanceof JsonNumber ? v.expect.raw : String(v.expect);
    const out: GoldenVector = {
      name: String(v.name),
      scheme: SCHEME_NAMES[String(v.scheme)],
      expect: expect.split('|').map(Number),
      body: typeof v.body === 'string' ? v.body : toJsonText(v.pcs!),
    };
    if (typeof v.payload === 'string') out.payload = v.payload;
    if (typeof v.error_code === 'string') out.errorCode = v.error_code;
    if (v.error_field !== undefined) out.errorField = v.error_field as string | null;
    return out;
  });
  return {
    hmacKey: doc.hmac_key as string,
    ed25519SeedB64: doc.ed25519_seed_b64 as string,
    ed25519PubB64: doc.ed25519_pub_b64 as string,
    vectors,
    doc,
  };
}

/** Verifier keys of a file: one HMAC key and one Ed25519 key, each listing `schemes`. */
export function goldenKeys(file: GoldenFile, schemes?: Scheme[]): VerifierKey[] {
  const pick = (s: Scheme[]) => (schemes === undefined ? s : s.filter((x) => schemes.includes(x)));
  const hmacSchemes = pick(['hmac-sha256', 'hmac-sha256-payload']);
  const edSchemes = pick(['ed25519']);
  return [
    ...(hmacSchemes.length > 0
      ? keysFromEnv({ alg: 'hmac', hmacKey: file.hmacKey, schemes: hmacSchemes })
      : []),
    ...(edSchemes.length > 0
      ? keysFromEnv({ alg: 'ed25519', ed25519PubB64: file.ed25519PubB64, schemes: edSchemes })
      : []),
  ];
}

/** What the ingest pipeline makes of one body, short of dedup. */
export type PipelineResult =
  | { status: 400; error: PcsInputError }
  | { status: 401; reason: string }
  | { status: 200 | 202; outcome: Outcome; kid: string; scheme: Scheme };

/** DESIGN §3 steps 3, 4 and 6 at library level: parse, verify the signature, then the signals. */
export function runPipeline(body: string | Buffer, keys: KeySet): PipelineResult {
  const parsed = parsePcs(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
  if (!parsed.ok) return { status: 400, error: parsed.error };
  const verified = keys.verify(canonicalPayload(parsed.record), parsed.record.sig);
  if (!verified.ok) return { status: 401, reason: verified.reason };
  const outcome = verifySignals(parsed.record);
  const status = outcome.accepted && !outcome.escalated ? 200 : 202;
  return { status, outcome, kid: verified.kid, scheme: verified.scheme };
}

/** A key set for a file, for convenience. */
export function goldenKeySet(file: GoldenFile, schemes?: Scheme[]): KeySet {
  return new KeySet(goldenKeys(file, schemes));
}
