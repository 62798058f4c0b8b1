// What Node's native verifier, @noble/ed25519 (ZIP-215 default and strict) and pcs/ed25519.ts
// each say on crafted edge cases: small-order and mixed-order keys, S >= L, non-canonical R and
// A encodings, small-order R. The verdicts of Node and noble are pinned as observed (Node 20,
// OpenSSL 3.0); they are what pcs/README.md reports. The strict verifier must refuse them all.
import { createHash, createPublicKey, verify } from 'node:crypto';

import * as noble from '@noble/ed25519';
import { describe, expect, it } from 'vitest';

import {
  SMALL_ORDER_ENCODINGS,
  ed25519PrivateKeyFromSeed,
  ed25519PublicKeyBytes,
  ed25519PublicKeyProblem,
  ed25519Sign,
  ed25519VerifyStrict,
  importEd25519PublicKey,
  isStrictSignatureEncoding,
} from './ed25519.ts';

noble.hashes.sha512 = (m) => createHash('sha512').update(m).digest();
const { Point } = noble;
const N = Point.CURVE().n;
const P = Point.CURVE().p;

const le32 = (n: bigint) => {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
};
const fromLe = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).reverse().toString('hex') || '0'}`);
const cat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
/** The RFC 8032 challenge h = SHA-512(R || A || M) mod L. */
const challenge = (r: Uint8Array, a: Uint8Array, m: Uint8Array) =>
  fromLe(
    createHash('sha512')
      .update(cat(r, a, m))
      .digest(),
  ) % N;

const SEED = Buffer.from('AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=', 'base64');
const honest = noble.utils.getExtendedPublicKey(SEED);
const A = honest.pointBytes;
const a = honest.scalar;

const IDENTITY = le32(1n);
const IDENTITY_NONCANONICAL = le32(P + 1n); // y = p + 1 ≡ 1: the identity again, y >= p
const ORDER2 = le32(P - 1n); // (0, -1)

/** A message (from a bounded search) whose challenge against R || A satisfies `want`. */
function messageWhere(r: Uint8Array, pub: Uint8Array, want: (h: bigint) => boolean): Uint8Array {
  for (let i = 0; i < 512; i++) {
    const m = createHash('sha256').update(`flk edge case ${i}`).digest();
    if (want(challenge(r, pub, m))) return m;
  }
  throw new Error('no message found within 512 tries');
}

/** A point of order exactly 8: the torsion part L·Q of some curve point Q. */
function order8Point(): noble.Point {
  for (let y = 2n; y < 200n; y++) {
    let q: noble.Point;
    try {
      q = Point.fromBytes(le32(y));
    } catch {
      continue; // not on the curve
    }
    const t = q.multiply(N - 1n, false).add(q); // [L]Q
    if (!t.multiply(4n, false).is0()) return t;
  }
  throw new Error('no order-8 point found');
}

type Verdict = boolean | 'throws' | 'key refused';

function verdicts(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array) {
  const safe = (f: () => boolean): Verdict => {
    try {
      return f();
    } catch {
      return 'throws';
    }
  };
  const node = safe(() => {
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(pub).toString('base64url') },
      format: 'jwk',
    });
    return verify(null, msg, key, sig);
  });
  let strict: Verdict;
  try {
    strict = ed25519VerifyStrict(importEd25519PublicKey(pub), msg, sig);
  } catch {
    strict = 'key refused';
  }
  return {
    node,
    nobleZip215: safe(() => noble.verify(sig, msg, pub)),
    nobleStrict: safe(() => noble.verify(sig, msg, pub, { zip215: false })),
    pcs: strict,
  };
}

const T8 = order8Point();

const cases = (() => {
  const msg = createHash('sha256').update('flk edge case').digest();
  const good = noble.sign(msg, SEED);

  // Small-order key (identity) with R = identity, S = 0: sB - hA = 0 = R for any message.
  const identityKeySig = cat(IDENTITY, le32(0n));
  // Order-2 key: R = identity, S = 0 verifies when h is even.
  const order2Msg = messageWhere(IDENTITY, ORDER2, (h) => h % 2n === 0n);
  // S + L: the same point [S]B, a second encoding of one signature.
  const sPlusL = cat(good.subarray(0, 32), le32(fromLe(good.subarray(32)) + N));
  // Honest key, R = identity in its canonical and its y >= p encoding, S = h·a (the holder's).
  const sigWithR = (r: Uint8Array, m: Uint8Array) => cat(r, le32((challenge(r, A, m) * a) % N));
  // Mixed-order key A' = A + T8: the holder signs as usual with a; cofactorless verifiers
  // accept only when 8 | h, cofactored ones always.
  const mixed = Point.fromBytes(A).add(T8).toBytes();
  const rNonce = 987654321n;
  const R = Point.BASE.multiply(rNonce).toBytes();
  const mixedSig = (m: Uint8Array) => cat(R, le32((rNonce + challenge(R, mixed, m) * a) % N));
  const mixedMsgAccepted = messageWhere(R, mixed, (h) => h % 8n === 0n);
  const mixedMsgRefused = messageWhere(R, mixed, (h) => h % 8n !== 0n);

  return [
    {
      name: 'a valid signature (control)',
      pub: A,
      msg,
      sig: good,
      expected: { node: true, nobleZip215: true, nobleStrict: true, pcs: true },
    },
    {
      name: 'small-order key (identity), R = identity, S = 0',
      pub: IDENTITY,
      msg,
      sig: identityKeySig,
      expected: { node: true, nobleZip215: true, nobleStrict: false, pcs: 'key refused' },
    },
    {
      name: 'small-order key (order 2), R = identity, S = 0',
      pub: ORDER2,
      msg: order2Msg,
      sig: identityKeySig,
      expected: { node: true, nobleZip215: true, nobleStrict: false, pcs: 'key refused' },
    },
    {
      name: 'non-canonical key encoding (y = p + 1)',
      pub: IDENTITY_NONCANONICAL,
      msg,
      sig: identityKeySig,
      expected: { node: true, nobleZip215: true, nobleStrict: false, pcs: 'key refused' },
    },
    {
      name: 'S + L (malleated S >= L)',
      pub: A,
      msg,
      sig: sPlusL,
      expected: { node: false, nobleZip215: false, nobleStrict: false, pcs: false },
    },
    {
      name: 'R = identity, canonical (small-order R)',
      pub: A,
      msg,
      sig: sigWithR(IDENTITY, msg),
      expected: { node: true, nobleZip215: true, nobleStrict: true, pcs: false },
    },
    {
      name: 'R = identity, non-canonical (y = p + 1)',
      pub: A,
      msg,
      sig: sigWithR(IDENTITY_NONCANONICAL, msg),
      expected: { node: false, nobleZip215: true, nobleStrict: false, pcs: false },
    },
    {
      name: 'mixed-order key A + T8, 8 | h',
      pub: mixed,
      msg: mixedMsgAccepted,
      sig: mixedSig(mixedMsgAccepted),
      expected: { node: true, nobleZip215: true, nobleStrict: true, pcs: 'key refused' },
    },
    {
      name: 'mixed-order key A + T8, 8 ∤ h',
      pub: mixed,
      msg: mixedMsgRefused,
      sig: mixedSig(mixedMsgRefused),
      expected: { node: false, nobleZip215: true, nobleStrict: true, pcs: 'key refused' },
    },
  ];
})();

describe('Ed25519 edge cases: what each implementation says', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    expect(verdicts(c.pub, c.msg, c.sig)).toEqual(c.expected);
  });

  it('the strict verifier accepts only the control', () => {
    const accepted = cases
      .filter((c) => verdicts(c.pub, c.msg, c.sig).pcs === true)
      .map((c) => c.name);
    expect(accepted).toEqual(['a valid signature (control)']);
  });
});

describe('public key checks at load time', () => {
  it('accept a key derived from a seed', () => {
    expect(ed25519PublicKeyProblem(A)).toBeUndefined();
    expect(hex(ed25519PublicKeyBytes(ed25519PrivateKeyFromSeed(SEED)))).toBe(hex(A));
  });

  it.each([
    ['31 bytes', A.subarray(0, 31), /must be 32 bytes/],
    ['not on the curve', le32(2n), /not a canonical encoding of a curve point/],
    ['y >= p', IDENTITY_NONCANONICAL, /not a canonical encoding/],
    [
      'x = 0 with the sign bit',
      cat(IDENTITY.subarray(0, 31), Uint8Array.of(0x80)),
      /not a canonical encoding/,
    ],
    ['small order (identity)', IDENTITY, /small-order/],
    ['small order (order 8)', T8.toBytes(), /small-order/],
    ['mixed order (A + T8)', Point.fromBytes(A).add(T8).toBytes(), /mixed order/],
  ])('refuse a key that is %s', (_, raw, message) => {
    expect(ed25519PublicKeyProblem(raw)).toMatch(message);
    expect(() => importEd25519PublicKey(raw)).toThrow(message);
  });
});

describe('signature encoding checks', () => {
  it('pins the eight small-order encodings, derived again from an order-8 point', () => {
    const derived = new Set(
      Array.from({ length: 8 }, (_, k) =>
        hex((k === 0 ? Point.ZERO : T8.multiply(BigInt(k), false)).toBytes()),
      ),
    );
    expect([...derived].sort()).toEqual([...SMALL_ORDER_ENCODINGS].sort());
  });

  it('refuses every small-order R, every y >= p and the two x = 0 sign-bit forms', () => {
    const S = le32(1n);
    for (const r of SMALL_ORDER_ENCODINGS)
      expect(isStrictSignatureEncoding(cat(Buffer.from(r, 'hex'), S))).toBe(false);
    for (let y = P; y < 2n ** 255n; y++)
      expect(isStrictSignatureEncoding(cat(le32(y), S))).toBe(false);
    const signBit = (b: Uint8Array) => cat(b.subarray(0, 31), Uint8Array.of(b[31]! | 0x80));
    expect(isStrictSignatureEncoding(cat(signBit(IDENTITY), S))).toBe(false);
    expect(isStrictSignatureEncoding(cat(signBit(ORDER2), S))).toBe(false);
  });

  it('refuses S = L and accepts S = L - 1 as an encoding', () => {
    const R = Point.BASE.toBytes();
    expect(isStrictSignatureEncoding(cat(R, le32(N)))).toBe(false);
    expect(isStrictSignatureEncoding(cat(R, le32(N - 1n)))).toBe(true);
  });

  it('refuses wrong lengths without throwing', () => {
    const key = importEd25519PublicKey(A);
    const msg = Buffer.from('m');
    const sig = ed25519Sign(ed25519PrivateKeyFromSeed(SEED), msg);
    expect(ed25519VerifyStrict(key, msg, sig)).toBe(true);
    for (const bad of [sig.subarray(0, 63), Buffer.concat([sig, Buffer.of(0)]), Buffer.alloc(0)]) {
      expect(ed25519VerifyStrict(key, msg, bad)).toBe(false);
    }
  });
});
