import { describe, expect, it } from 'vitest';

import type { KubeObject } from '../kube/types.ts';
import { verifierFileFor } from './material.ts';
import {
  readSignerSecret,
  readVerifierSecret,
  signerSecretObject,
  verifierSecretObject,
  withState,
} from './secrets.ts';
import { OWNER, testKey } from './testing.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('the signer and verifier Secrets', () => {
  it('round-trip: what is written is read back the same', () => {
    const active = testKey(1);
    const pending = testKey(2);
    const signer = readSignerSecret(
      signerSecretObject(OWNER, 'agents-signer', { active, pending }),
      OWNER,
    );
    expect(signer).toMatchObject({ present: true, owned: true, active, pending, problems: [] });

    const files = [
      withState(verifierFileFor(active, ['ed25519']), 'Retiring', '2030-01-01T00:00:20Z'),
      withState(verifierFileFor(pending, ['ed25519']), 'Active'),
    ];
    const verifier = readVerifierSecret(
      verifierSecretObject(OWNER, 'agents-verifier', files),
      OWNER,
    );
    expect(verifier.files).toEqual([...files].sort((a, b) => (a.kid < b.kid ? -1 : 1)));
    expect(verifier.problems).toEqual([]);
  });

  it('are owned by the SigningKey (garbage collection removes them with it) and labelled with it', () => {
    const secret = verifierSecretObject(OWNER, 'agents-verifier', []);
    expect(secret.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'SigningKey',
        name: 'agents',
        uid: OWNER.uid,
        controller: true,
      }),
    ]);
    expect(secret.metadata.labels).toMatchObject({
      'flk.fractal-lba.io/signingkey': 'agents',
      'app.kubernetes.io/component': 'verifier',
    });
  });

  it('a Secret of that name controlled by someone else is reported as not owned', () => {
    const foreign: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'agents-signer', namespace: 'ingest' },
    };
    expect(readSignerSecret(foreign, OWNER)).toMatchObject({ present: true, owned: false });
  });

  it('refuses a bad entry naming it and why, without quoting its content', () => {
    const weakPoint = Buffer.alloc(32).toString('base64'); // the all-zero encoding is a small-order point
    const secret: KubeObject & { data: Record<string, string> } = {
      ...verifierSecretObject(OWNER, 'agents-verifier', []),
      data: {
        'ed25519-weak.json': b64(
          JSON.stringify({
            kid: 'ed25519-weak',
            alg: 'ed25519',
            schemes: ['ed25519'],
            public_key_b64: weakPoint,
          }),
        ),
        'broken.json': b64('{"secret_b64":"c2VjcmV0c2VjcmV0'),
        'README.txt': b64('ignored'),
      },
    };
    const read = readVerifierSecret(secret, OWNER);
    expect(read.files).toEqual([]);
    expect(read.problems).toEqual([
      'broken.json: not valid JSON',
      expect.stringMatching(
        /^ed25519-weak\.json: field "public_key_b64": Ed25519 public key .*small-order/,
      ),
    ]);
    expect(read.problems.join(' ')).not.toContain('c2VjcmV0c2VjcmV0');
  });
});
