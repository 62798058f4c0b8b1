// Key files, key generation, the key directory (plain and kubelet's symlink layout), the
// reference environment keys, and KeySet verification during a rotation.
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { canonicalPayload } from './canonical.ts';
import {
  KeyFormatError,
  KeySet,
  ed25519KeyId,
  formatKeyFile,
  generateEd25519,
  generateHmac,
  hmacKeyId,
  keysFromEnv,
  loadKeyDir,
  loadSignerDir,
  parseSignerKey,
  parseVerifierKey,
} from './keys.ts';
import type { VerifierKeyFile } from './keys.ts';
import { signPayload } from './schemes.ts';
import { buildRecord, hmacMaterial, signRecord } from './sign.ts';

const REFERENCE_PUB = 'A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=';
const SMALL_ORDER_PUB = Buffer.from(
  '0100000000000000000000000000000000000000000000000000000000000000',
  'hex',
).toString('base64');
const payload = canonicalPayload(buildRecord({ shard_id: 'k', epoch: 1, now: new Date(0) }));

const ed = generateEd25519();
const hm = generateHmac();
const json = (file: object) => JSON.stringify(file);

describe('parseVerifierKey', () => {
  it('reads an Ed25519 and an HMAC key file with state and not_after', () => {
    const key = parseVerifierKey(
      json({ ...ed.verifier, state: 'Retiring', not_after: '2026-12-31T00:00:00Z' }),
      `${ed.kid}.json`,
    );
    expect(key).toMatchObject({
      kid: ed.kid,
      alg: 'ed25519',
      schemes: ['ed25519'],
      state: 'Retiring',
    });
    expect(key.notAfter?.toISOString()).toBe('2026-12-31T00:00:00.000Z');
    expect(parseVerifierKey(json(hm.verifier), `/mnt/keys/${hm.kid}.json`).material.alg).toBe(
      'hmac-sha256',
    );
  });

  it('ignores unknown fields', () => {
    expect(parseVerifierKey(json({ ...hm.verifier, comment: 'x' }), `${hm.kid}.json`).kid).toBe(
      hm.kid,
    );
  });

  it.each<[string, Partial<VerifierKeyFile> & Record<string, unknown>, RegExp]>([
    ['a kid that is not the file name', { kid: 'other' }, /must match the file name/],
    ['a kid outside the Secret key alphabet', { kid: 'a/b' }, /field "kid"/],
    ['an unknown algorithm', { alg: 'rsa' as never }, /field "alg"/],
    ['no schemes', { schemes: [] }, /field "schemes"/],
    ['a scheme of the other algorithm', { schemes: ['hmac-sha256'] }, /cannot use a ed25519 key/],
    ['a missing public key', { public_key_b64: undefined }, /"public_key_b64": missing/],
    [
      'a public key of 31 bytes',
      { public_key_b64: Buffer.alloc(31).toString('base64') },
      /base64 of 32 bytes/,
    ],
    ['a small-order public key', { public_key_b64: SMALL_ORDER_PUB }, /small-order/],
    [
      'a secret on an Ed25519 key',
      { secret_b64: hm.verifier.secret_b64! },
      /not allowed on a ed25519 key/,
    ],
    ['an unknown state', { state: 'Expired' as never }, /field "state"/],
    ['a not_after that is no RFC 3339 time', { not_after: 'tomorrow' }, /field "not_after"/],
  ])('refuses %s', (_, change, message) => {
    const file = { ...ed.verifier, ...change };
    const name = `${change.kid === 'other' ? ed.kid : (file.kid ?? 'x')}.json`;
    expect(() => parseVerifierKey(json(file), name)).toThrow(KeyFormatError);
    expect(() => parseVerifierKey(json(file), name)).toThrow(message);
  });

  it('refuses an HMAC secret shorter than 32 bytes and text that is not JSON, naming the file', () => {
    const short = { ...hm.verifier, secret_b64: Buffer.alloc(31).toString('base64') };
    expect(() => parseVerifierKey(json(short), `${hm.kid}.json`)).toThrow(/at least 32 bytes/);
    expect(() => parseVerifierKey('{', 'k.json')).toThrow(/^k\.json: not valid JSON/);
  });
});

describe('signer keys and generation', () => {
  it('generates key files that parse back and sign what the verifier file verifies', () => {
    for (const gen of [generateEd25519(), generateHmac(48, { schemes: ['hmac-sha256-payload'] })]) {
      const signer = parseSignerKey(formatKeyFile(gen.signer));
      const keys = new KeySet([parseVerifierKey(formatKeyFile(gen.verifier), `${gen.kid}.json`)]);
      const sig = signPayload(signer.scheme, signer.material, payload);
      expect(keys.verify(payload, sig)).toEqual({ ok: true, kid: gen.kid, scheme: signer.scheme });
    }
  });

  it('derives key ids from the public key, and for HMAC from a keyed digest', () => {
    expect(ed.kid).toBe(ed25519KeyId(Buffer.from(ed.verifier.public_key_b64!, 'base64')));
    expect(ed.kid).toMatch(/^ed25519-[0-9a-f]{16}$/);
    expect(hm.kid).toBe(hmacKeyId(Buffer.from(hm.verifier.secret_b64!, 'base64')));
    expect(hm.kid).toMatch(/^hmac-[0-9a-f]{16}$/);
    expect(generateHmac().kid).not.toBe(hm.kid);
  });

  it('refuses HMAC secrets under 32 bytes and signer files that mix algorithms', () => {
    expect(() => generateHmac(16)).toThrow(/at least 32 bytes/);
    expect(() => parseSignerKey(json({ ...ed.signer, scheme: 'hmac-sha256' }))).toThrow(
      /cannot use a ed25519 key/,
    );
    expect(() => parseSignerKey(json({ ...ed.signer, seed_b64: undefined }))).toThrow(
      /"seed_b64": missing/,
    );
    expect(() => parseSignerKey(json({ ...hm.signer, seed_b64: ed.signer.seed_b64 }))).toThrow(
      /not allowed/,
    );
  });
});

describe('loadKeyDir and loadSignerDir', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flk-keys-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads kubelet's layout: <kid>.json symlinks into ..data, dot-entries ignored", async () => {
    const data = join(dir, '..2026_12_04_14_00_00.1');
    await mkdir(data);
    const expired = generateHmac();
    const files: Record<string, string> = {
      [`${ed.kid}.json`]: formatKeyFile({ ...ed.verifier, state: 'Active' }),
      [`${hm.kid}.json`]: formatKeyFile({ ...hm.verifier, state: 'Pending' }),
      [`${expired.kid}.json`]: formatKeyFile({
        ...expired.verifier,
        not_after: '2026-01-01T00:00:00Z',
      }),
      'broken.json': '{"kid":',
    };
    for (const [name, body] of Object.entries(files)) await writeFile(join(data, name), body);
    await symlink('..2026_12_04_14_00_00.1', join(dir, '..data'));
    for (const name of Object.keys(files)) await symlink(join('..data', name), join(dir, name));
    await writeFile(join(dir, 'README'), 'not a key');

    const result = await loadKeyDir(dir, new Date('2026-06-01T00:00:00Z'));
    expect(result.keys.map((k) => k.kid)).toEqual([ed.kid, hm.kid].sort());
    expect(result.expired).toEqual([expired.kid]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^broken\.json: not valid JSON/);
  });

  it('rejects with the directory named when it cannot be read', async () => {
    await expect(loadKeyDir(join(dir, 'missing'))).rejects.toThrow(
      /reading key directory .*missing/,
    );
  });

  it('reads signer.json', async () => {
    await writeFile(join(dir, 'signer.json'), formatKeyFile(ed.signer));
    expect((await loadSignerDir(dir)).kid).toBe(ed.kid);
    await expect(loadSignerDir(join(dir, 'nope'))).rejects.toThrow(/reading signer key/);
  });
});

describe('keysFromEnv', () => {
  it('gives no key for none, and defaults schemes by algorithm', () => {
    expect(keysFromEnv({ alg: 'none' })).toEqual([]);
    expect(keysFromEnv({ alg: 'hmac', hmacKey: 'testsecret' })[0]!.schemes).toEqual([
      'hmac-sha256',
    ]);
    expect(keysFromEnv({ alg: 'ed25519', ed25519PubB64: REFERENCE_PUB })[0]!.schemes).toEqual([
      'ed25519',
    ]);
  });

  it('takes the HMAC key as UTF-8 bytes, short ones included (the reference key is 10 bytes)', () => {
    const [key] = keysFromEnv({ alg: 'hmac', hmacKey: 'testsecret' });
    expect(key!.material).toEqual({ alg: 'hmac-sha256', secret: Buffer.from('testsecret') });
  });

  it.each([
    [{ alg: 'hmac' as const }, /^PCS_HMAC_KEY: required/],
    [{ alg: 'ed25519' as const }, /^PCS_ED25519_PUB_B64: required/],
    [{ alg: 'ed25519' as const, ed25519PubB64: 'abc' }, /^PCS_ED25519_PUB_B64: expected canonical/],
    [
      { alg: 'ed25519' as const, ed25519PubB64: SMALL_ORDER_PUB },
      /^PCS_ED25519_PUB_B64: .*small-order/,
    ],
    [
      { alg: 'hmac' as const, hmacKey: 'k', schemes: ['ed25519' as const] },
      /^schemes: ed25519 cannot use a hmac-sha256 key/,
    ],
  ])('refuses %j naming the variable', (options, message) => {
    expect(() => keysFromEnv(options)).toThrow(message);
  });
});

describe('KeySet.verify', () => {
  const old = keysFromEnv({ alg: 'hmac', hmacKey: 'old-secret' })[0]!;
  const next = {
    ...keysFromEnv({ alg: 'hmac', hmacKey: 'new-secret' })[0]!,
    notAfter: new Date('2027-01-01T00:00:00Z'),
  };
  const sigWith = (secret: string) =>
    signRecord(buildRecord({ shard_id: 'k', epoch: 1, now: new Date(0) }), {
      scheme: 'hmac-sha256',
      key: hmacMaterial(secret),
    }).sig;

  it('accepts a signature by either key during a rotation and says which', () => {
    const keys = new KeySet([old, next]);
    expect(keys.verify(payload, sigWith('old-secret'))).toEqual({
      ok: true,
      kid: old.kid,
      scheme: 'hmac-sha256',
    });
    expect(keys.verify(payload, sigWith('new-secret'))).toEqual({
      ok: true,
      kid: next.kid,
      scheme: 'hmac-sha256',
    });
    expect(keys.kids).toEqual([old.kid, next.kid].sort());
  });

  it('skips a key past its not_after', () => {
    const keys = new KeySet([old, next]);
    expect(keys.verify(payload, sigWith('new-secret'), new Date('2027-01-02T00:00:00Z'))).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('tells bad encodings, no key for the length, and mismatches apart', () => {
    const hmacOnly = new KeySet([old]);
    expect(hmacOnly.verify(payload, 'not base64!')).toEqual({ ok: false, reason: 'bad_encoding' });
    expect(hmacOnly.verify(payload, Buffer.alloc(64).toString('base64'))).toEqual({
      ok: false,
      reason: 'no_key',
    });
    expect(hmacOnly.verify(payload, Buffer.alloc(32).toString('base64'))).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(new KeySet([]).verify(payload, Buffer.alloc(32).toString('base64'))).toEqual({
      ok: false,
      reason: 'no_key',
    });
  });

  it('never throws on any signature text', () => {
    const keys = new KeySet([
      old,
      ...keysFromEnv({ alg: 'ed25519', ed25519PubB64: REFERENCE_PUB }),
    ]);
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (s) => keys.verify(payload, s).ok === false),
      { numRuns: 3_000 },
    );
  });
});
