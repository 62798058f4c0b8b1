/**
 * Key material for the rotation: minting from a secure random source (pcs/keygen.ts), the
 * verifier file that belongs to a signer file, and reading an imported key. Every message here
 * names a Secret, a data key or a size, never a byte of the material.
 */
import { decodeBase64Strict } from '../../pcs/base64.ts';
import {
  ed25519PrivateKeyFromSeed,
  ed25519PublicKeyBytes,
  ed25519PublicKeyProblem,
} from '../../pcs/ed25519.ts';
import { MIN_HMAC_SECRET_BYTES } from '../../pcs/keyfile.ts';
import type { SignerKeyFile, VerifierKeyFile } from '../../pcs/keyfile.ts';
import { ed25519KeyId, generateEd25519, generateHmac, hmacKeyId } from '../../pcs/keygen.ts';
import type { Algorithm, Scheme } from '../api/signingkey.ts';

/** Fewest distinct byte values an imported key may have (32 random bytes have about 30). */
export const MIN_DISTINCT_BYTES = 8;

/** A new key's signer file (its private material); the verifier file follows from it. */
export function mintKey(algorithm: Algorithm, schemes: readonly Scheme[]): SignerKeyFile {
  const options = { schemes: [...schemes] };
  return algorithm === 'ed25519'
    ? generateEd25519(options).signer
    : generateHmac(32, options).signer;
}

/** The signer file of `file`'s material, signing with the first of `schemes`. */
export function signerFileFor(file: SignerKeyFile, schemes: readonly Scheme[]): SignerKeyFile {
  const scheme = schemes[0] ?? file.scheme;
  if (file.alg === 'ed25519') {
    return { kid: file.kid, alg: file.alg, scheme, seed_b64: file.seed_b64 ?? '' };
  }
  return { kid: file.kid, alg: file.alg, scheme, secret_b64: file.secret_b64 ?? '' };
}

/** The verifier file (no state, no window) of a signer file: what backends need of that key. */
export function verifierFileFor(
  signer: SignerKeyFile,
  schemes: readonly Scheme[],
): VerifierKeyFile {
  if (signer.alg === 'ed25519') {
    const seed = Buffer.from(signer.seed_b64 ?? '', 'base64');
    const publicKey = ed25519PublicKeyBytes(ed25519PrivateKeyFromSeed(seed));
    return {
      kid: signer.kid,
      alg: signer.alg,
      schemes: [...schemes],
      public_key_b64: publicKey.toString('base64'),
    };
  }
  return {
    kid: signer.kid,
    alg: signer.alg,
    schemes: [...schemes],
    secret_b64: signer.secret_b64 ?? '',
  };
}

/**
 * A verifier file reduced to its material (state and window are the rotation's to set), with
 * the schemes it keeps: a Retiring key goes on verifying the schemes it was issued with.
 */
export function baseVerifierFile(file: VerifierKeyFile): VerifierKeyFile {
  const base: VerifierKeyFile = { kid: file.kid, alg: file.alg, schemes: [...file.schemes] };
  if (file.public_key_b64 !== undefined) base.public_key_b64 = file.public_key_b64;
  if (file.secret_b64 !== undefined) base.secret_b64 = file.secret_b64;
  return base;
}

/** For an HMAC key the verifier file holds the secret itself, so a lost signer file can be rebuilt. */
export function signerFileFromVerifier(
  file: VerifierKeyFile,
  schemes: readonly Scheme[],
): SignerKeyFile | undefined {
  if (file.alg !== 'hmac-sha256' || file.secret_b64 === undefined) return undefined;
  return {
    kid: file.kid,
    alg: file.alg,
    scheme: schemes[0] ?? 'hmac-sha256',
    secret_b64: file.secret_b64,
  };
}

export type ImportResult = { ok: true; signer: SignerKeyFile } | { ok: false; message: string };

/**
 * Reads imported key material: `value` is the Secret's data value (Kubernetes' base64), whose
 * content must be the standard base64 text of the key bytes — a 32-byte Ed25519 seed, or an HMAC
 * secret of at least 32 bytes. Refuses material that looks weak (one repeated byte, or fewer than
 * {@link MIN_DISTINCT_BYTES} distinct values) and an Ed25519 key whose public point is weak.
 */
export function importKey(
  algorithm: Algorithm,
  schemes: readonly Scheme[],
  value: string | undefined,
  where: string,
): ImportResult {
  const generate = 'generate one with: openssl rand -base64 32';
  if (value === undefined)
    return { ok: false, message: `${where} is missing; put the key there (${generate})` };

  const text = Buffer.from(value, 'base64').toString('utf8').trim();
  const bytes = decodeBase64Strict(text);
  if (bytes === undefined) {
    return {
      ok: false,
      message: `${where} must hold the standard base64 text of the key bytes (${generate})`,
    };
  }

  if (algorithm === 'ed25519' && bytes.length !== 32) {
    return {
      ok: false,
      message: `${where} must decode to a 32-byte Ed25519 seed, not ${bytes.length} bytes (${generate})`,
    };
  }
  if (algorithm === 'hmac-sha256' && bytes.length < MIN_HMAC_SECRET_BYTES) {
    return {
      ok: false,
      message: `${where} holds an HMAC secret of ${bytes.length} bytes; use at least ${MIN_HMAC_SECRET_BYTES} (${generate})`,
    };
  }
  const distinct = new Set(bytes).size;
  if (distinct < MIN_DISTINCT_BYTES) {
    return {
      ok: false,
      message: `${where} looks weak (only ${distinct} distinct byte values); use key material from a secure random source (${generate})`,
    };
  }

  const scheme = schemes[0] ?? (algorithm === 'ed25519' ? 'ed25519' : 'hmac-sha256');
  if (algorithm === 'hmac-sha256') {
    return {
      ok: true,
      signer: {
        kid: hmacKeyId(bytes),
        alg: algorithm,
        scheme,
        secret_b64: bytes.toString('base64'),
      },
    };
  }
  const publicKey = ed25519PublicKeyBytes(ed25519PrivateKeyFromSeed(bytes));
  const problem = ed25519PublicKeyProblem(publicKey);
  if (problem !== undefined) {
    return {
      ok: false,
      message: `${where}: the Ed25519 public key of this seed ${problem}; use another seed (${generate})`,
    };
  }
  return {
    ok: true,
    signer: {
      kid: ed25519KeyId(publicKey),
      alg: algorithm,
      scheme,
      seed_b64: bytes.toString('base64'),
    },
  };
}
