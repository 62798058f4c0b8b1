/**
 * The three signature schemes of DESIGN §2.2 over the canonical payload:
 *
 * | scheme                | signed input                        | signature |
 * |-----------------------|-------------------------------------|-----------|
 * | `hmac-sha256`         | HMAC-SHA256(key, SHA-256(payload))  | 32 bytes  |
 * | `hmac-sha256-payload` | HMAC-SHA256(key, payload)           | 32 bytes  |
 * | `ed25519`             | Ed25519 over SHA-256(payload)       | 64 bytes  |
 *
 * (the golden vectors confirm which bytes each signs). Verification never throws: a malformed
 * signature, a wrong-length one or a key of the other algorithm is simply a failed verification.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

import { decodeBase64Strict } from './base64.ts';
import { ed25519Sign, ed25519VerifyStrict } from './ed25519.ts';
import type { Ed25519PublicKey } from './ed25519.ts';

/** A signature scheme name, as key files and configuration spell it. */
export type Scheme = 'hmac-sha256' | 'hmac-sha256-payload' | 'ed25519';

/** Every scheme, in a stable order. */
export const SCHEMES: readonly Scheme[] = ['hmac-sha256', 'hmac-sha256-payload', 'ed25519'];

/** A key algorithm: the HMAC schemes share one kind of key. */
export type KeyAlg = 'hmac-sha256' | 'ed25519';

/** Signature length in bytes of each scheme. */
export const SIGNATURE_BYTES: Readonly<Record<Scheme, number>> = {
  'hmac-sha256': 32,
  'hmac-sha256-payload': 32,
  ed25519: 64,
};

/** True when `value` names a scheme. */
export function isScheme(value: unknown): value is Scheme {
  return typeof value === 'string' && (SCHEMES as readonly string[]).includes(value);
}

/** The key algorithm a scheme uses. */
export function schemeAlg(scheme: Scheme): KeyAlg {
  return scheme === 'ed25519' ? 'ed25519' : 'hmac-sha256';
}

/** Key material to sign with. */
export type SigningMaterial =
  { alg: 'hmac-sha256'; secret: Buffer } | { alg: 'ed25519'; privateKey: KeyObject };

/** Key material to verify with. */
export type VerifyingMaterial =
  { alg: 'hmac-sha256'; secret: Buffer } | { alg: 'ed25519'; publicKey: Ed25519PublicKey };

/** SHA-256 of the payload: the signed input of `hmac-sha256` and `ed25519`. */
export function payloadDigest(payload: Uint8Array): Buffer {
  return createHash('sha256').update(payload).digest();
}

/**
 * The bytes each scheme signs for one payload: the payload itself for `hmac-sha256-payload`,
 * SHA-256(payload) for the others, computed at most once however many keys are tried.
 */
export function signedInputs(payload: Uint8Array): (scheme: Scheme) => Uint8Array {
  let digest: Buffer | undefined;
  return (scheme) =>
    scheme === 'hmac-sha256-payload' ? payload : (digest ??= payloadDigest(payload));
}

/** The bytes `scheme` signs for `payload`. */
export function signedInput(scheme: Scheme, payload: Uint8Array): Uint8Array {
  return signedInputs(payload)(scheme);
}

/** Signs an already prepared input (see {@link signedInput}). Throws on an algorithm mismatch. */
export function signInput(scheme: Scheme, key: SigningMaterial, input: Uint8Array): Buffer {
  if (key.alg !== schemeAlg(scheme)) {
    throw new TypeError(`scheme ${scheme} needs a ${schemeAlg(scheme)} key, got ${key.alg}`);
  }
  if (key.alg === 'ed25519') return ed25519Sign(key.privateKey, input);
  return createHmac('sha256', key.secret).update(input).digest();
}

/**
 * Verifies a decoded signature over an already prepared input. Constant-time for HMAC; the
 * length guard first keeps timingSafeEqual from throwing on an attacker-chosen length (the
 * length of a MAC is public). Never throws.
 */
export function verifyInput(
  scheme: Scheme,
  key: VerifyingMaterial,
  input: Uint8Array,
  sig: Uint8Array,
): boolean {
  if (key.alg !== schemeAlg(scheme) || sig.length !== SIGNATURE_BYTES[scheme]) return false;
  if (key.alg === 'ed25519') return ed25519VerifyStrict(key.publicKey, input, sig);
  const expected = createHmac('sha256', key.secret).update(input).digest();
  return expected.length === sig.length && timingSafeEqual(expected, sig);
}

/** Signs a canonical payload; returns the base64 signature for the record's `sig`. */
export function signPayload(scheme: Scheme, key: SigningMaterial, payload: Uint8Array): string {
  return signInput(scheme, key, signedInput(scheme, payload)).toString('base64');
}

/** Verifies a base64 signature over a canonical payload. Never throws. */
export function verifyPayload(
  scheme: Scheme,
  key: VerifyingMaterial,
  payload: Uint8Array,
  sigB64: string,
): boolean {
  const sig = decodeBase64Strict(sigB64, SIGNATURE_BYTES[scheme]);
  return sig !== undefined && verifyInput(scheme, key, signedInput(scheme, payload), sig);
}

/**
 * Decodes a record's `sig` strictly: canonical standard base64 of exactly 32 (HMAC) or 64
 * (Ed25519) bytes, else undefined.
 */
export function decodeSignature(sigB64: string): Buffer | undefined {
  return decodeBase64Strict(sigB64, 32) ?? decodeBase64Strict(sigB64, 64);
}
