/**
 * What a SigningKey refuses, on the real control plane, each with a message that says what to
 * change: an overlap shorter than a consumer's dedup TTL, and imported key material that is too
 * short. An imported key, once acceptable, goes through the same verifier-first rotation; and a
 * settled SigningKey costs no write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseSignerKey } from '../../pcs/keyfile.ts';
import { hmacKeyId } from '../../pcs/keygen.ts';
import { verifierSecretName } from '../../operator/api/constants.ts';
import type { KubeClient } from '../../operator/kube/client.ts';
import type { KubeObject } from '../../operator/kube/types.ts';
import { applyAsTest, createNamespace, installCrds, testClient } from './helpers/cluster.ts';
import { fractalLBA } from './helpers/fixtures.ts';
import { sampleWrites, writesBetween } from './helpers/apiserver-writes.ts';
import { OperatorProcess } from './helpers/operator-process.ts';
import {
  annotate,
  conditionOf,
  readSigner,
  signingKey,
  waitForSigningKey,
} from './helpers/signingkey.ts';
import { waitFor } from './helpers/wait.ts';

let client: KubeClient;
let ns: { name: string; remove: () => Promise<void> };
let operator: OperatorProcess;

beforeAll(async () => {
  client = testClient();
  await installCrds(client);
  ns = await createNamespace(client, 'flk-e2e-skval');
  operator = await OperatorProcess.start({ name: 'sk-validation', namespaces: [ns.name] });
  await operator.waitReady();
});

afterAll(async () => {
  await operator?.stop();
  await ns?.remove();
});

/** A Secret whose data key `key` holds the base64 text of `bytes` (what the import reads). */
const importSecret = (name: string, bytes: Buffer): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: ns.name },
  type: 'Opaque',
  data: { key: Buffer.from(bytes.toString('base64')).toString('base64') },
});

describe('SigningKey validation', () => {
  it('refuses an overlap shorter than the dedup TTL of a consumer, naming it and the overlap it needs, and mints nothing', async () => {
    // The consumer first: a SigningKey created alone mints its first key before it has any.
    await applyAsTest(
      client,
      fractalLBA(ns.name, 'long-ttl', {
        signing: { keyRefs: [{ name: 'strict' }] },
        dedup: { ttl: '14d' },
      }),
    );
    await applyAsTest(
      client,
      signingKey(ns.name, 'strict', {
        algorithm: 'ed25519',
        rotationInterval: '40s',
        overlap: '20s',
      }),
    );

    const degraded = await waitForSigningKey(
      client,
      ns.name,
      'strict',
      'Degraded OverlapBelowDedupTTL',
      (sk) => {
        const c = conditionOf(sk, 'Degraded');
        return c?.reason === 'OverlapBelowDedupTTL' ? { sk, c } : undefined;
      },
    );
    expect(degraded.c.message).toContain('FractalLBA long-ttl (spec.dedup.ttl 14d)');
    expect(degraded.c.message).toContain('Set spec.overlap to at least 336h');
    expect(conditionOf(degraded.sk, 'Ready')?.status).toBe('False');
    expect(degraded.sk.status?.keys ?? []).toEqual([]);
    expect(
      await client.get({
        apiVersion: 'v1',
        kind: 'Secret',
        namespace: ns.name,
        name: verifierSecretName('strict'),
      }),
    ).toBeUndefined();
  });

  it('refuses a short imported HMAC secret, then imports a good one into the signer and verifier Secrets', async () => {
    await applyAsTest(client, importSecret('agents-src', Buffer.alloc(16, 7)));
    await applyAsTest(
      client,
      signingKey(ns.name, 'imported', {
        algorithm: 'hmac-sha256',
        rotationInterval: '40s',
        overlap: '20s',
        source: { mode: 'import', secretRef: { name: 'agents-src' } },
      }),
    );
    const refused = await waitForSigningKey(
      client,
      ns.name,
      'imported',
      'Degraded SourceInvalid',
      (sk) => {
        const c = conditionOf(sk, 'Degraded');
        return c?.reason === 'SourceInvalid' ? c : undefined;
      },
    );
    expect(refused.message).toContain(
      `Secret ${ns.name}/agents-src key "key" holds an HMAC secret of 16 bytes; use at least 32`,
    );

    const secret = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 89 + 3) % 256));
    await applyAsTest(client, importSecret('agents-src', secret));
    const kid = hmacKeyId(secret);
    const active = await waitForSigningKey(
      client,
      ns.name,
      'imported',
      `${kid} to be Active`,
      (sk) => (sk.status?.activeKeyId === kid ? sk : undefined),
    );
    expect(active.status?.nextRotationTime).toBeUndefined();
    expect(conditionOf(active, 'Degraded')?.status).toBe('False');

    const signer = await readSigner(client, ns.name, 'imported');
    expect(signer.active?.kid).toBe(kid);
    const verifier = await client.get<KubeObject & { data?: Record<string, string> }>({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: ns.name,
      name: verifierSecretName('imported'),
    });
    expect(Object.keys(verifier?.data ?? {})).toEqual([`${kid}.json`]);
    const file = JSON.parse(
      Buffer.from(verifier!.data![`${kid}.json`]!, 'base64').toString('utf8'),
    );
    expect(file).toMatchObject({
      kid,
      alg: 'hmac-sha256',
      schemes: ['hmac-sha256'],
      state: 'Active',
    });
    expect(
      parseSignerKey(
        JSON.stringify({
          kid,
          alg: 'hmac-sha256',
          scheme: 'hmac-sha256',
          secret_b64: file.secret_b64,
        }),
      ).kid,
    ).toBe(kid);
  });

  it('a settled SigningKey makes no write, however often it is reconciled', async () => {
    const sk = signingKey(ns.name, 'settled', {
      algorithm: 'ed25519',
      rotationInterval: '1h',
      overlap: '20s',
    });
    await applyAsTest(client, sk);
    await waitForSigningKey(
      client,
      ns.name,
      'settled',
      'Ready',
      (s) => conditionOf(s, 'Ready')?.status === 'True',
    );
    const reconciled = () => {
      const from = operator.logs.length;
      return () =>
        operator.logs
          .slice(from)
          .some((l) => l.msg === 'reconcile finished' && l.name === 'settled');
    };
    const first = reconciled();
    await annotate(client, sk, { 'flk-e2e/touch': 'settle' });
    await waitFor('a reconcile after Ready', 30_000, first);

    // Counted from the API server's own metrics, which sum over the whole cluster.
    const before = await sampleWrites(client);
    for (let i = 0; i < 5; i++) {
      const done = reconciled();
      await annotate(client, sk, { 'flk-e2e/touch': String(i) });
      await waitFor(`reconcile ${i + 1} of 5`, 30_000, done);
    }
    const after = await sampleWrites(client);
    expect([...writesBetween(before, after, ['secrets', 'signingkeys/status'])]).toEqual([]);
  });
});
