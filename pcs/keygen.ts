/**
 * Key generation from `crypto.randomBytes`, and key ids that reveal nothing secret: an Ed25519
 * id is derived from the public key, an HMAC id from a keyed digest of a fixed label.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';

import { ed25519PrivateKeyFromSeed, ed25519PublicKeyBytes } from './ed25519.ts';
import { MIN_HMAC_SECRET_BYTES } from './keyfile.ts';
import type { SignerKeyFile, VerifierKeyFile } from './keyfile.ts';
import type { Scheme } from './schemes.ts';

/** Label of the HMAC key-id derivation; changing it changes every HMAC key id. */
const HMAC_KID_LABEL = 'flk key id v1';

/** A freshly generated key: the file for the signer Secret and the one for the verifier set. */
export interface GeneratedKey {
  kid: string;
  signer: SignerKeyFile;
  verifier: VerifierKeyFile;
}

/** Options shared by both generators. */
export interface GenerateOptions {
  /** Schemes the verifier file lists; default: the algorithm's contract scheme only. */
  schemes?: Scheme[];
  /** Scheme the signer uses; default: the first of `schemes`. */
  signerScheme?: Scheme;
}

/** `ed25519-` + the first 16 hex digits of SHA-256(public key). */
export function ed25519KeyId(publicKey: Uint8Array): string {
  return `ed25519-${createHash('sha256').update(publicKey).digest('hex').slice(0, 16)}`;
}

/** `hmac-` + the first 16 hex digits of HMAC-SHA256(secret, "flk key id v1"). */
export function hmacKeyId(secret: Uint8Array): string {
  return `hmac-${createHmac('sha256', secret).update(HMAC_KID_LABEL).digest('hex').slice(0, 16)}`;
}

/** Generates an Ed25519 key from a random 32-byte seed. */
export function generateEd25519(options: GenerateOptions = {}): GeneratedKey {
  const seed = randomBytes(32);
  const publicKey = ed25519PublicKeyBytes(ed25519PrivateKeyFromSeed(seed));
  const kid = ed25519KeyId(publicKey);
  const schemes = options.schemes ?? ['ed25519'];
  return {
    kid,
    signer: {
      kid,
      alg: 'ed25519',
      scheme: options.signerScheme ?? schemes[0] ?? 'ed25519',
      seed_b64: seed.toString('base64'),
    },
    verifier: { kid, alg: 'ed25519', schemes, public_key_b64: publicKey.toString('base64') },
  };
}

/** Generates an HMAC secret of `bytes` random bytes (at least 32). */
export function generateHmac(bytes = 32, options: GenerateOptions = {}): GeneratedKey {
  if (!Number.isInteger(bytes) || bytes < MIN_HMAC_SECRET_BYTES) {
    throw new RangeError(`HMAC secrets need at least ${MIN_HMAC_SECRET_BYTES} bytes, got ${bytes}`);
  }
  const secret = randomBytes(bytes);
  const kid = hmacKeyId(secret);
  const schemes = options.schemes ?? ['hmac-sha256'];
  const secret_b64 = secret.toString('base64');
  return {
    kid,
    signer: {
      kid,
      alg: 'hmac-sha256',
      scheme: options.signerScheme ?? schemes[0] ?? 'hmac-sha256',
      secret_b64,
    },
    verifier: { kid, alg: 'hmac-sha256', schemes, secret_b64 },
  };
}
