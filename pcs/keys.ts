/**
 * Key material for verifiers and signers: the one module the backend and the operator import for
 * keys. Formats live in keyfile.ts, generation in keygen.ts, the verifier set in keyset.ts; this
 * file adds the two readers of mounted Secrets (the only I/O in pcs/ besides the CLI) and the keys
 * of the reference environment variables.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { decodeBase64Strict } from './base64.ts';
import { Ed25519KeyError, importEd25519PublicKey } from './ed25519.ts';
import {
  KeyFormatError,
  SIGNER_FILE,
  checkSchemes,
  parseSignerKey,
  parseVerifierKey,
} from './keyfile.ts';
import type { SignerKey, VerifierKey } from './keyfile.ts';
import { ed25519KeyId, hmacKeyId } from './keygen.ts';
import { schemeAlg } from './schemes.ts';
import type { Scheme } from './schemes.ts';

export * from './keyfile.ts';
export * from './keygen.ts';
export * from './keyset.ts';

/** What {@link loadKeyDir} found. */
export interface KeyDirResult {
  /** Valid keys inside their window, sorted by kid. */
  keys: VerifierKey[];
  /** One line per refused file, naming it and why. */
  errors: string[];
  /** Kids of valid keys left out because their `not_after` has passed. */
  expired: string[];
}

/**
 * Reads a verifier key directory: a mounted Secret, either plain files or kubelet's layout
 * (`<kid>.json` symlinks into `..data/`). Entries starting with "." and names not ending in
 * `.json` are ignored; each bad file is reported in `errors` and does not stop the others.
 * Rejects only when the directory itself cannot be read.
 */
export async function loadKeyDir(dir: string, now: Date = new Date()): Promise<KeyDirResult> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new Error(`reading key directory ${dir}: ${(err as Error).message}`, { cause: err });
  }

  const result: KeyDirResult = { keys: [], errors: [], expired: [] };
  for (const name of names.filter((n) => !n.startsWith('.') && n.endsWith('.json')).sort()) {
    const path = join(dir, name);
    try {
      if (!(await stat(path)).isFile()) continue; // stat follows kubelet's symlinks
      const key = parseVerifierKey(await readFile(path, 'utf8'), name);
      if (key.notAfter !== undefined && now > key.notAfter) result.expired.push(key.kid);
      else result.keys.push(key);
    } catch (err) {
      result.errors.push(
        err instanceof KeyFormatError ? err.message : `${name}: ${(err as Error).message}`,
      );
    }
  }
  return result;
}

/** Reads `signer.json` from a mounted signer Secret. Rejects with the file and the reason. */
export async function loadSignerDir(dir: string): Promise<SignerKey> {
  const path = join(dir, SIGNER_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`reading signer key ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseSignerKey(text, path);
}

/** The reference environment (`PCS_SIGN_ALG`, `PCS_HMAC_KEY`, `PCS_ED25519_PUB_B64`). */
export interface EnvKeyOptions {
  alg: 'none' | 'hmac' | 'ed25519';
  /** `PCS_HMAC_KEY`: the secret's UTF-8 bytes, as the reference agent uses it. */
  hmacKey?: string;
  /** `PCS_ED25519_PUB_B64`: the 32-byte public key in standard base64. */
  ed25519PubB64?: string;
  /** Schemes the key accepts; default `hmac-sha256` for hmac, `ed25519` for ed25519. */
  schemes?: Scheme[];
}

/**
 * Keys from the reference environment. `none` yields no key (development only). Throws a
 * {@link KeyFormatError} naming the variable when a value is missing or unusable. No minimum
 * HMAC length is imposed here: the reference contract's own keys may be short.
 */
export function keysFromEnv(options: EnvKeyOptions): VerifierKey[] {
  if (options.alg === 'none') return [];

  if (options.alg === 'hmac') {
    const schemes = envSchemes(options.schemes, 'hmac-sha256');
    if (options.hmacKey === undefined || options.hmacKey === '') {
      throw new KeyFormatError('PCS_HMAC_KEY: required when PCS_SIGN_ALG=hmac');
    }
    const secret = Buffer.from(options.hmacKey, 'utf8');
    return [
      {
        kid: hmacKeyId(secret),
        alg: 'hmac-sha256',
        schemes,
        material: { alg: 'hmac-sha256', secret },
      },
    ];
  }

  const schemes = envSchemes(options.schemes, 'ed25519');
  if (options.ed25519PubB64 === undefined || options.ed25519PubB64 === '') {
    throw new KeyFormatError('PCS_ED25519_PUB_B64: required when PCS_SIGN_ALG=ed25519');
  }
  const raw = decodeBase64Strict(options.ed25519PubB64, 32);
  if (raw === undefined) {
    throw new KeyFormatError('PCS_ED25519_PUB_B64: expected canonical standard base64 of 32 bytes');
  }
  try {
    const publicKey = importEd25519PublicKey(raw);
    return [
      { kid: ed25519KeyId(raw), alg: 'ed25519', schemes, material: { alg: 'ed25519', publicKey } },
    ];
  } catch (err) {
    if (err instanceof Ed25519KeyError)
      throw new KeyFormatError(`PCS_ED25519_PUB_B64: ${err.message}`);
    throw err;
  }
}

function envSchemes(schemes: Scheme[] | undefined, fallback: Scheme): Scheme[] {
  const list = schemes ?? [fallback];
  if (list.length === 0) throw new KeyFormatError('schemes: at least one scheme is needed');
  checkSchemes(schemeAlg(fallback), list, 'schemes');
  return list;
}
