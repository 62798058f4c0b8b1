import { describe, expect, it } from 'vitest';

import { resolveFractalLBA } from '../api/fractallba.ts';
import type { KubeObject } from '../kube/types.ts';
import { resolveKeys } from './keys.ts';
import { summariseSecret, type SecretSummary } from './secrets.ts';
import { dependentsOf } from './watches.ts';

function spec(raw: Record<string, unknown>) {
  const resolved = resolveFractalLBA({ spec: raw });
  if (!resolved.ok) throw new Error(resolved.errors.join('; '));
  return resolved.spec;
}

function secrets(...list: KubeObject[]) {
  const map = new Map(
    list.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, summariseSecret(s)]),
  );
  return {
    get: (ns: string, name: string) => map.get(`${ns}/${name}`) as SecretSummary | undefined,
  };
}

const secret = (name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'ns' },
  data,
});

describe('resolveKeys', () => {
  it('takes the key ids from the .json files of every verifier Secret, sorted and once each', () => {
    const result = resolveKeys(
      'ns',
      spec({ signing: { keyRefs: [{ name: 'b' }, { name: 'a' }] } }),
      secrets(
        secret('a-verifier', { 'k2.json': 'e30=', 'k1.json': 'e30=', README: 'eA==' }),
        secret('b-verifier', { 'k1.json': 'e30=' }),
      ),
    );

    expect(result).toMatchObject({ ok: true, keyIds: ['k1', 'k2'] });
    expect(result.ok && result.keys.map((k) => k.verifierSecretName)).toEqual([
      'b-verifier',
      'a-verifier',
    ]);
  });

  it('gives a new checksum when the Secret content changes, so the pods roll', () => {
    const s = spec({ signing: { keyRefs: [{ name: 'a' }] } });
    const one = resolveKeys('ns', s, secrets(secret('a-verifier', { 'k1.json': 'e30=' })));
    const two = resolveKeys(
      'ns',
      s,
      secrets(secret('a-verifier', { 'k1.json': 'e30=', 'k2.json': 'e30=' })),
    );

    expect(one.ok && two.ok && one.keys[0]!.checksum !== two.keys[0]!.checksum).toBe(true);
  });

  it('names every missing verifier Secret and the SigningKey it belongs to', () => {
    const result = resolveKeys(
      'ns',
      spec({ signing: { keyRefs: [{ name: 'a' }, { name: 'b' }] } }),
      secrets(),
    );

    expect(result).toEqual({
      ok: false,
      reason: 'WaitingForKeys',
      message:
        'waiting for Secret ns/a-verifier (the verifier keys of SigningKey a) and Secret ns/b-verifier (the verifier keys of SigningKey b) to exist',
    });
  });

  it('waits for a dedup connection Secret too, and folds its digest into the config checksum', () => {
    const s = spec({
      signing: { mode: 'none' },
      dedup: { backend: 'redis', redis: { secretRef: { name: 'redis' } } },
    });

    expect(resolveKeys('ns', s, secrets())).toMatchObject({
      ok: false,
      reason: 'WaitingForSecrets',
      message: expect.stringContaining('spec.dedup.redis.secretRef'),
    });
    const a = resolveKeys('ns', s, secrets(secret('redis', { address: 'YQ==' })));
    const b = resolveKeys('ns', s, secrets(secret('redis', { address: 'Yg==' })));
    expect(a.ok && b.ok && a.configChecksum !== b.configChecksum).toBe(true);
  });

  it('waits for the TLS Secrets but keeps them out of the checksum: the backend reloads them live', () => {
    const s = spec({
      signing: { mode: 'none' },
      tls: { secretName: 'serving', clientCA: { secretName: 'agents-ca' } },
    });

    const serving = (crt: string) => secret('serving', { 'tls.crt': crt, 'tls.key': 'aw==' });
    expect(resolveKeys('ns', s, secrets(serving('YQ==')))).toEqual({
      ok: false,
      reason: 'WaitingForSecrets',
      message: 'waiting for Secret ns/agents-ca (spec.tls.clientCA.secretName) to exist',
    });
    const ca = secret('agents-ca', { 'ca.crt': 'YQ==' });
    const a = resolveKeys('ns', s, secrets(serving('YQ=='), ca));
    const b = resolveKeys('ns', s, secrets(serving('Yg=='), ca));
    expect(a).toMatchObject({ ok: true, configChecksum: undefined });
    expect(b).toMatchObject({ ok: true, configChecksum: undefined });
  });
});

describe('resolveKeys with TLS Secrets that lack a data key the backend reads', () => {
  it('waits, naming the Secret, the key, the field that chose it and the keys it has', () => {
    const s = spec({
      signing: { mode: 'none' },
      tls: { secretName: 'serving', clientCA: { secretName: 'agents-ca', key: 'bundle.pem' } },
    });

    const result = resolveKeys(
      'ns',
      s,
      secrets(secret('serving', { 'tls.crt': 'YQ==' }), secret('agents-ca', { 'ca.crt': 'YQ==' })),
    );

    expect(result).toEqual({
      ok: false,
      reason: 'WaitingForSecrets',
      message:
        'waiting for Secret ns/serving (spec.tls.secretName) to have data key tls.key; it has tls.crt; ' +
        'waiting for Secret ns/agents-ca (spec.tls.clientCA.secretName) to have data key bundle.pem (spec.tls.clientCA.key); it has ca.crt',
    });
  });

  it('goes ahead once the keys are there', () => {
    const s = spec({
      signing: { mode: 'none' },
      tls: { secretName: 'serving', clientCA: { secretName: 'agents-ca', key: 'bundle.pem' } },
    });

    const result = resolveKeys(
      'ns',
      s,
      secrets(
        secret('serving', { 'tls.crt': 'YQ==', 'tls.key': 'YQ==' }),
        secret('agents-ca', { 'bundle.pem': 'YQ==' }),
      ),
    );

    expect(result).toMatchObject({ ok: true });
  });
});

describe('summariseSecret', () => {
  it('keeps no value of the Secret, only its key names and a digest', () => {
    const summary = summariseSecret(
      secret('x', { password: Buffer.from('hunter2').toString('base64') }),
    );

    expect(JSON.stringify(summary)).not.toContain(Buffer.from('hunter2').toString('base64'));
    expect(summary.dataKeys).toEqual(['password']);
    expect(summary.digest).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('dependentsOf', () => {
  it('finds the FractalLBAs that use a Secret as verifier keys or as a connection', () => {
    const flk = (name: string, s: Record<string, unknown>) => ({
      apiVersion: 'x',
      kind: 'FractalLBA',
      metadata: { name, namespace: 'ns' },
      spec: s,
    });
    const all = [
      flk('uses-a', { signing: { keyRefs: [{ name: 'a' }] } }),
      flk('uses-redis', {
        signing: { mode: 'none' },
        dedup: { backend: 'redis', redis: { secretRef: { name: 'conn' } } },
      }),
      flk('other', { signing: { keyRefs: [{ name: 'z' }] } }),
    ];
    const cache = { get: () => undefined, list: () => all };

    expect(dependentsOf('ns', 'a-verifier', cache)).toEqual(['ns/uses-a']);
    expect(dependentsOf('ns', 'conn', cache)).toEqual(['ns/uses-redis']);
    expect(dependentsOf('ns', 'unrelated', cache)).toEqual([]);
  });
});
