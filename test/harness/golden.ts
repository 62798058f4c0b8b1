import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './backend.ts';

export interface GoldenVector {
  name: string;
  scheme: 'hmac-digest' | 'hmac-payload' | 'ed25519';
  expect: number | string;
  payload?: string;
  /** The record exactly as the agent would POST it (big integers kept digit for digit). */
  body: string;
  pcsId: string;
}

export interface GoldenFile {
  hmacKey: string;
  ed25519SeedB64: string;
  ed25519PubB64: string;
  vectors: GoldenVector[];
}

const BIG = /"__flk_big__(\d+)"/g;

/**
 * Reads a vector file produced by the reference agent. JSON.parse would round an epoch beyond
 * 2^53, so integer tokens of 16 digits or more are carried through as tagged strings and put
 * back digit for digit when the record is serialised for POSTing.
 */
export function readGolden(file: string): GoldenFile {
  const text = fs.readFileSync(file, 'utf8').replace(
    // Only a value after an unescaped key: the `payload` strings hold the same digits, escaped.
    /([^\\]"\s*:\s*)(\d{16,})(?=\s*[,}\]])/g,
    '$1"__flk_big__$2"',
  );
  const raw = JSON.parse(text) as {
    hmac_key: string;
    ed25519_seed_b64: string;
    ed25519_pub_b64: string;
    vectors: {
      name: string;
      scheme: GoldenVector['scheme'];
      expect: number | string;
      payload?: string;
      pcs: { pcs_id: string };
    }[];
  };
  return {
    hmacKey: raw.hmac_key,
    ed25519SeedB64: raw.ed25519_seed_b64,
    ed25519PubB64: raw.ed25519_pub_b64,
    vectors: raw.vectors.map((v) => ({
      name: v.name,
      scheme: v.scheme,
      expect: v.expect,
      payload: v.payload,
      body: JSON.stringify(v.pcs).replace(BIG, '$1'),
      pcsId: v.pcs.pcs_id,
    })),
  };
}

export const REFERENCE_VECTORS = path.resolve(
  REPO_ROOT,
  '../shared/golden/reference-agent-vectors.json',
);

export function expectedStatuses(expect: number | string): number[] {
  return String(expect).split('|').map(Number);
}

/** Golden scheme names → the backend's PCS_SIGN_SCHEMES names. */
export const SCHEME_NAMES = {
  'hmac-digest': 'hmac-sha256',
  'hmac-payload': 'hmac-sha256-payload',
  ed25519: 'ed25519',
} as const;
