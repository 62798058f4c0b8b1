import { describe, expect, it } from 'vitest';

import { parseSignerKey, parseVerifierKey, formatKeyFile } from '../../pcs/keyfile.ts';
import { signPayload, verifyPayload } from '../../pcs/schemes.ts';
import { importKey, mintKey, verifierFileFor } from './material.ts';

/** Kubernetes stores Secret data base64-encoded; the import value's content is base64 text too. */
const asSecretValue = (bytes: Buffer) => Buffer.from(bytes.toString('base64')).toString('base64');
const randomish = (n: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + 11) % 251));

describe('mintKey and verifierFileFor', () => {
  it.each([
    ['ed25519', ['ed25519']],
    ['hmac-sha256', ['hmac-sha256', 'hmac-sha256-payload']],
  ] as const)('%s: the verifier file verifies what the signer file signs', (alg, schemes) => {
    const signerFile = mintKey(alg, schemes);
    const verifierFile = verifierFileFor(signerFile, schemes);
    const signer = parseSignerKey(formatKeyFile(signerFile));
    const verifier = parseVerifierKey(formatKeyFile(verifierFile), `${signerFile.kid}.json`);

    const payload = Buffer.from('{"pcs_id":"x"}');
    const sig = signPayload(signer.scheme, signer.material, payload);
    expect(verifyPayload(signer.scheme, verifier.material, payload, sig)).toBe(true);
    expect(verifier.schemes).toEqual(schemes);
    expect(verifierFile).not.toHaveProperty('seed_b64');
  });

  it('mints a different key every time, from a secure random source', () => {
    expect(mintKey('ed25519', ['ed25519']).kid).not.toBe(mintKey('ed25519', ['ed25519']).kid);
  });
});

describe('importKey', () => {
  const where = 'Secret ingest/src key "key"';

  it('takes a 32-byte Ed25519 seed or an HMAC secret of at least 32 bytes, as base64 text', () => {
    const ed = importKey('ed25519', ['ed25519'], asSecretValue(randomish(32)), where);
    expect(ed.ok && ed.signer.kid).toMatch(/^ed25519-[0-9a-f]{16}$/);
    const hmac = importKey('hmac-sha256', ['hmac-sha256'], asSecretValue(randomish(48)), where);
    expect(hmac.ok && hmac.signer.kid).toMatch(/^hmac-[0-9a-f]{16}$/);
  });

  it.each([
    ['a missing data key', 'hmac-sha256', undefined, 'is missing; put the key there'],
    [
      'text that is not base64',
      'hmac-sha256',
      Buffer.from('not base64!').toString('base64'),
      'standard base64 text',
    ],
    [
      'an HMAC secret under 32 bytes',
      'hmac-sha256',
      asSecretValue(randomish(31)),
      'of 31 bytes; use at least 32',
    ],
    [
      'an Ed25519 seed of the wrong size',
      'ed25519',
      asSecretValue(randomish(64)),
      '32-byte Ed25519 seed, not 64 bytes',
    ],
    [
      'an all-zero key',
      'ed25519',
      asSecretValue(Buffer.alloc(32)),
      'looks weak (only 1 distinct byte values)',
    ],
    [
      'a key of few distinct bytes',
      'hmac-sha256',
      asSecretValue(Buffer.from('ab'.repeat(20))),
      'looks weak',
    ],
  ] as const)('refuses %s, saying what to do', (_what, alg, value, fragment) => {
    const result = importKey(alg, [alg], value, where);
    expect(result.ok).toBe(false);
    const message = result.ok ? '' : result.message;
    expect(message).toContain(where);
    expect(message).toContain(fragment);
    expect(message).toContain('openssl rand -base64 32');
  });

  it('never puts the material in its message', () => {
    const short = randomish(20);
    const result = importKey('hmac-sha256', ['hmac-sha256'], asSecretValue(short), where);
    const message = result.ok ? '' : result.message;
    expect(message).not.toContain(short.toString('base64'));
    expect(message).not.toContain(short.toString('hex'));
  });
});
