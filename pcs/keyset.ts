/**
 * The set of keys a backend verifies with. During a rotation it holds the old and the new key at
 * once, so a record verifies if any current key accepts it under any scheme that key lists.
 */
import type { VerifierKey } from './keyfile.ts';
import { SIGNATURE_BYTES, decodeSignature, signedInputs, verifyInput } from './schemes.ts';
import type { Scheme } from './schemes.ts';

/** Outcome of {@link KeySet.verify}. */
export type KeySetVerifyResult =
  | { ok: true; kid: string; scheme: Scheme }
  | {
      ok: false;
      /**
       * `bad_encoding`: not canonical base64 of 32 or 64 bytes; `no_key`: no current key
       * accepts a scheme of that signature length; `mismatch`: keys were tried, none matched.
       */
      reason: 'bad_encoding' | 'no_key' | 'mismatch';
    };

/** An immutable set of verifier keys. */
export class KeySet {
  readonly keys: readonly VerifierKey[];

  constructor(keys: readonly VerifierKey[]) {
    this.keys = [...keys];
  }

  /** Key ids in the set, sorted (for status and the loaded-keys gauge). */
  get kids(): string[] {
    return this.keys.map((k) => k.kid).sort();
  }

  /** The keys still inside their window at `now`. */
  activeAt(now: Date): VerifierKey[] {
    return this.keys.filter((k) => k.notAfter === undefined || now <= k.notAfter);
  }

  /**
   * Verifies a record's base64 signature over its canonical payload: every key inside its
   * window whose schemes include one of the signature's length is tried, until one matches.
   * Never throws.
   */
  verify(payload: Uint8Array, sigB64: string, now: Date = new Date()): KeySetVerifyResult {
    const sig = decodeSignature(sigB64);
    if (sig === undefined) return { ok: false, reason: 'bad_encoding' };

    const inputOf = signedInputs(payload);
    let tried = false;
    for (const key of this.activeAt(now)) {
      for (const scheme of key.schemes) {
        if (SIGNATURE_BYTES[scheme] !== sig.length) continue;
        tried = true;
        if (verifyInput(scheme, key.material, inputOf(scheme), sig)) {
          return { ok: true, kid: key.kid, scheme };
        }
      }
    }
    return { ok: false, reason: tried ? 'mismatch' : 'no_key' };
  }
}
