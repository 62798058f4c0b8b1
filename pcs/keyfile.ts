/**
 * Key file formats (pcs/README.md "Key material"): the verifier key files the operator writes
 * into a backend's verifier Secret, one `<kid>.json` per key, and the `signer.json` of an agent's
 * signer Secret. Pure: text in, checked and prepared keys out, errors naming file and field.
 */
import { basename } from 'node:path';

import { z } from 'zod';

import { decodeBase64Strict } from './base64.ts';
import { Ed25519KeyError, ed25519PrivateKeyFromSeed, importEd25519PublicKey } from './ed25519.ts';
import { SCHEMES, schemeAlg } from './schemes.ts';
import type { KeyAlg, Scheme, SigningMaterial, VerifyingMaterial } from './schemes.ts';

/** Rotation states a verifier key file may carry (DESIGN §4.2); Expired keys are not written. */
export const KEY_STATES = ['Pending', 'Active', 'Retiring'] as const;

/** A verifier key's rotation state. */
export type KeyState = (typeof KEY_STATES)[number];

/** Key ids are Secret data keys (`<kid>.json`), so they keep to that alphabet. */
export const KID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Shortest HMAC secret a key file may hold. */
export const MIN_HMAC_SECRET_BYTES = 32;

/** File name of the signer key in a signer Secret. */
export const SIGNER_FILE = 'signer.json';

/** A refused key file; the message names the file and the field. */
export class KeyFormatError extends Error {
  override readonly name = 'KeyFormatError';
}

const ALGS = ['ed25519', 'hmac-sha256'] as const;

const VerifierKeyFileSchema = z.object({
  kid: z.string().regex(KID_PATTERN, 'must be 1-63 letters, digits, ".", "_" or "-"'),
  alg: z.enum(ALGS),
  schemes: z.array(z.enum(SCHEMES)).min(1),
  public_key_b64: z.string().optional(),
  secret_b64: z.string().optional(),
  state: z.enum(KEY_STATES).optional(),
  not_after: z.iso.datetime({ offset: true }).optional(),
});

/** A verifier key file as written (wire form). */
export type VerifierKeyFile = z.infer<typeof VerifierKeyFileSchema>;

const SignerKeyFileSchema = z.object({
  kid: z.string().regex(KID_PATTERN, 'must be 1-63 letters, digits, ".", "_" or "-"'),
  alg: z.enum(ALGS),
  scheme: z.enum(SCHEMES),
  seed_b64: z.string().optional(),
  secret_b64: z.string().optional(),
});

/** A signer key file as written (wire form). */
export type SignerKeyFile = z.infer<typeof SignerKeyFileSchema>;

/** A key the backend verifies with, checked and prepared. */
export interface VerifierKey {
  kid: string;
  alg: KeyAlg;
  /** Schemes this key accepts (DESIGN §2.2: a key accepts the schemes its configuration lists). */
  schemes: Scheme[];
  state?: KeyState;
  /** The key stops verifying after this instant (end of its overlap window). */
  notAfter?: Date;
  material: VerifyingMaterial;
}

/** The key an agent signs with, checked and prepared. */
export interface SignerKey {
  kid: string;
  alg: KeyAlg;
  scheme: Scheme;
  material: SigningMaterial;
}

/** Parses one verifier key file. Throws {@link KeyFormatError}. */
export function parseVerifierKey(json: string, fileName: string): VerifierKey {
  const file = validate(VerifierKeyFileSchema, json, fileName);
  const where = (field: string) => `${fileName}: field "${field}"`;
  if (basename(fileName) !== `${file.kid}.json`) {
    throw new KeyFormatError(`${where('kid')}: "${file.kid}" must match the file name <kid>.json`);
  }
  checkSchemes(file.alg, file.schemes, where('schemes'));
  const material = verifyingMaterial(file, where);

  const key: VerifierKey = { kid: file.kid, alg: file.alg, schemes: file.schemes, material };
  if (file.state !== undefined) key.state = file.state;
  if (file.not_after !== undefined) key.notAfter = new Date(file.not_after);
  return key;
}

/** Parses a signer key file. Throws {@link KeyFormatError}. */
export function parseSignerKey(json: string, fileName = SIGNER_FILE): SignerKey {
  const file = validate(SignerKeyFileSchema, json, fileName);
  const where = (field: string) => `${fileName}: field "${field}"`;
  checkSchemes(file.alg, [file.scheme], where('scheme'));

  if (file.alg === 'ed25519') {
    forbid(file.secret_b64, where('secret_b64'), 'ed25519');
    const seed = bytesField(file.seed_b64, where('seed_b64'), 32);
    return {
      ...identity(file),
      material: { alg: 'ed25519', privateKey: ed25519PrivateKeyFromSeed(seed) },
    };
  }
  forbid(file.seed_b64, where('seed_b64'), 'hmac-sha256');
  const secret = hmacSecretField(file.secret_b64, where('secret_b64'));
  return { ...identity(file), material: { alg: 'hmac-sha256', secret } };
}

/** Serialises a key file the way the operator writes it (stable, newline-terminated). */
export function formatKeyFile(file: VerifierKeyFile | SignerKeyFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}

function identity(file: SignerKeyFile) {
  return { kid: file.kid, alg: file.alg, scheme: file.scheme };
}

function verifyingMaterial(file: VerifierKeyFile, where: (f: string) => string): VerifyingMaterial {
  if (file.alg === 'ed25519') {
    forbid(file.secret_b64, where('secret_b64'), 'ed25519');
    const raw = bytesField(file.public_key_b64, where('public_key_b64'), 32);
    try {
      return { alg: 'ed25519', publicKey: importEd25519PublicKey(raw) };
    } catch (err) {
      if (err instanceof Ed25519KeyError)
        throw new KeyFormatError(`${where('public_key_b64')}: ${err.message}`);
      throw err;
    }
  }
  forbid(file.public_key_b64, where('public_key_b64'), 'hmac-sha256');
  return { alg: 'hmac-sha256', secret: hmacSecretField(file.secret_b64, where('secret_b64')) };
}

function validate<T>(schema: z.ZodType<T>, json: string, fileName: string): T {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new KeyFormatError(`${fileName}: not valid JSON (${(err as Error).message})`);
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `field "${i.path.join('.')}": ${i.message}`);
    throw new KeyFormatError(`${fileName}: ${issues.join('; ')}`);
  }
  return result.data;
}

/** Throws a {@link KeyFormatError} unless every scheme uses a key of `alg`. */
export function checkSchemes(alg: KeyAlg, schemes: readonly Scheme[], where: string): void {
  const wrong = schemes.filter((s) => schemeAlg(s) !== alg);
  if (wrong.length > 0)
    throw new KeyFormatError(`${where}: ${wrong.join(', ')} cannot use a ${alg} key`);
}

function forbid(value: string | undefined, where: string, alg: KeyAlg): void {
  if (value !== undefined) throw new KeyFormatError(`${where}: not allowed on a ${alg} key`);
}

function bytesField(value: string | undefined, where: string, bytes: number): Buffer {
  if (value === undefined) throw new KeyFormatError(`${where}: missing`);
  const raw = decodeBase64Strict(value, bytes);
  if (raw === undefined) {
    throw new KeyFormatError(`${where}: expected canonical standard base64 of ${bytes} bytes`);
  }
  return raw;
}

function hmacSecretField(value: string | undefined, where: string): Buffer {
  if (value === undefined) throw new KeyFormatError(`${where}: missing`);
  const secret = decodeBase64Strict(value);
  if (secret === undefined || secret.length < MIN_HMAC_SECRET_BYTES) {
    throw new KeyFormatError(
      `${where}: expected canonical standard base64 of at least ${MIN_HMAC_SECRET_BYTES} bytes`,
    );
  }
  return secret;
}
