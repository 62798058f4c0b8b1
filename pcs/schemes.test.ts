// The three signature schemes and strict base64: round trips, what each scheme signs, and that
// no attacker-chosen signature (any length, any text) makes verification throw.
import { createHash, createHmac } from 'node:crypto';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { base64Length, decodeBase64Strict } from './base64.ts';
import {
  ed25519PrivateKeyFromSeed,
  ed25519PublicKeyBytes,
  ed25519VerifyStrict,
  importEd25519PublicKey,
} from './ed25519.ts';
import {
  SCHEMES,
  SIGNATURE_BYTES,
  decodeSignature,
  signInput,
  signPayload,
  verifyInput,
  verifyPayload,
} from './schemes.ts';
import type { Scheme, SigningMaterial, VerifyingMaterial } from './schemes.ts';

const secret = Buffer.from('testsecret');
const seed = Buffer.alloc(32, 9);
const privateKey = ed25519PrivateKeyFromSeed(seed);
const publicKey = importEd25519PublicKey(ed25519PublicKeyBytes(privateKey));
const signing: Record<Scheme, SigningMaterial> = {
  'hmac-sha256': { alg: 'hmac-sha256', secret },
  'hmac-sha256-payload': { alg: 'hmac-sha256', secret },
  ed25519: { alg: 'ed25519', privateKey },
};
const verifying: Record<Scheme, VerifyingMaterial> = {
  'hmac-sha256': { alg: 'hmac-sha256', secret },
  'hmac-sha256-payload': { alg: 'hmac-sha256', secret },
  ed25519: { alg: 'ed25519', publicKey },
};
const payload = Buffer.from('{"D_hat":1.0}');

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The same bytes, but the lowest unused bit of the last data character set (32 bytes: 2 bits). */
function withUnusedBitSet(b64: string): string {
  const data = b64.replace(/=+$/, '');
  const last = ALPHABET.indexOf(data.at(-1)!);
  return `${data.slice(0, -1)}${ALPHABET[last | 1]}${b64.slice(data.length)}`;
}

describe('decodeBase64Strict', () => {
  const bytes = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7));
  const b64 = bytes.toString('base64');

  it('decodes canonical standard base64', () => {
    expect(decodeBase64Strict(b64, 32)).toEqual(bytes);
    expect(decodeBase64Strict(b64)).toEqual(bytes);
  });

  it.each([
    ['the URL-safe alphabet', Buffer.from([0xfb, 0xff, 0xfe]).toString('base64url')],
    ['missing padding', b64.replace(/=+$/, '')],
    ['whitespace', `${b64.slice(0, 4)} ${b64.slice(4)}`],
    ['a newline', `${b64}\n`],
    ['non-zero unused bits', withUnusedBitSet(b64)],
    ['an unknown character', `*${b64.slice(1)}`],
    ['padding inside', `AA==${b64.slice(4)}`],
  ])('refuses %s', (_, text) => {
    expect(decodeBase64Strict(text)).toBeUndefined();
  });

  it('refuses a canonical encoding of the wrong length', () => {
    expect(decodeBase64Strict(bytes.subarray(0, 31).toString('base64'), 32)).toBeUndefined();
    expect(decodeBase64Strict(Buffer.alloc(33).toString('base64'), 32)).toBeUndefined();
  });

  it('round-trips any bytes and accepts only the canonical text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        const text = Buffer.from(b).toString('base64');
        return (
          text.length === base64Length(b.length) &&
          Buffer.from(decodeBase64Strict(text)!).equals(Buffer.from(b))
        );
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (s) => {
        const decoded = decodeBase64Strict(s);
        return decoded === undefined || decoded.toString('base64') === s;
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('schemes', () => {
  it.each(SCHEMES)('%s signs and verifies a payload, and refuses another payload', (scheme) => {
    const sig = signPayload(scheme, signing[scheme], payload);
    expect(Buffer.from(sig, 'base64')).toHaveLength(SIGNATURE_BYTES[scheme]);
    expect(verifyPayload(scheme, verifying[scheme], payload, sig)).toBe(true);
    expect(verifyPayload(scheme, verifying[scheme], Buffer.from('{"D_hat":2.0}'), sig)).toBe(false);
  });

  it('signs the bytes DESIGN §2.2 names', () => {
    const digest = createHash('sha256').update(payload).digest();
    const expectDigest = createHmac('sha256', secret).update(digest).digest('base64');
    const expectPayload = createHmac('sha256', secret).update(payload).digest('base64');
    expect(signPayload('hmac-sha256', signing['hmac-sha256'], payload)).toBe(expectDigest);
    expect(signPayload('hmac-sha256-payload', signing['hmac-sha256-payload'], payload)).toBe(
      expectPayload,
    );
    const edSig = Buffer.from(signPayload('ed25519', signing.ed25519, payload), 'base64');
    expect(ed25519VerifyStrict(publicKey, digest, edSig)).toBe(true);
  });

  it('keeps the two HMAC schemes apart', () => {
    const sig = signPayload('hmac-sha256', signing['hmac-sha256'], payload);
    expect(
      verifyPayload('hmac-sha256-payload', verifying['hmac-sha256-payload'], payload, sig),
    ).toBe(false);
  });

  it('fails verification, without throwing, for a key of the other algorithm', () => {
    const sig = signPayload('ed25519', signing.ed25519, payload);
    expect(verifyPayload('ed25519', verifying['hmac-sha256'], payload, sig)).toBe(false);
    expect(() => signInput('ed25519', signing['hmac-sha256'], payload)).toThrow(
      /needs a ed25519 key/,
    );
  });

  it('never throws on a signature of any length or any text', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SCHEMES),
        fc.uint8Array({ maxLength: 130 }),
        fc.string(),
        (scheme, sig, text) => {
          expect(typeof verifyInput(scheme, verifying[scheme], payload, sig)).toBe('boolean');
          expect(typeof verifyPayload(scheme, verifying[scheme], payload, text)).toBe('boolean');
          return true;
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('decodes record signatures of exactly 32 or 64 bytes only', () => {
    expect(decodeSignature(Buffer.alloc(32).toString('base64'))).toHaveLength(32);
    expect(decodeSignature(Buffer.alloc(64).toString('base64'))).toHaveLength(64);
    for (const n of [0, 31, 33, 48, 63, 65])
      expect(decodeSignature(Buffer.alloc(n).toString('base64'))).toBeUndefined();
  });
});
