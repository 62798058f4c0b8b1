/**
 * Key rotation end to end, in real time, on the real control plane: the operator (a child
 * process) rotates a SigningKey every 40 s with a 20 s overlap; its verifier Secret is projected
 * into a folder the way kubelet projects a Secret volume, and two real backend processes verify
 * against that folder. An agent reads the signer Secret before every submission.
 *
 * kwok makes pods Ready at once; the consumer's Deployment is given minReadySeconds so a rollout
 * takes as long as a quick real one (see `slowRollouts`).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { SignerKey } from '../../pcs/keyfile.ts';
import type { KubeClient } from '../../operator/kube/client.ts';
import { SIGNINGKEY_LABEL } from '../../operator/signingkey/names.ts';
import { submit, type BackendProcess } from '../harness/backend.ts';
import { applyAsTest, createNamespace, installCrds, testClient } from './helpers/cluster.ts';
import { fractalLBA, walVolumeFor } from './helpers/fixtures.ts';
import { OperatorProcess } from './helpers/operator-process.ts';
import { SecretProjection } from './helpers/secret-projection.ts';
import {
  conditionOf,
  keyIn,
  readSigner,
  signedRecord,
  signingKey,
  slowRollouts,
  startBackends,
  waitForSigningKey,
} from './helpers/signingkey.ts';
import { elapse } from './helpers/wait.ts';

const SK = 'agents';
const FLK = 'demo';

let client: KubeClient;
let ns: { name: string; remove: () => Promise<void> };
let removeVolume: () => Promise<void>;
let operator: OperatorProcess;
let projection: SecretProjection;
let backends: BackendProcess[] = [];

beforeAll(async () => {
  client = testClient();
  await installCrds(client);
  ns = await createNamespace(client, 'flk-e2e-skrot');
  removeVolume = await walVolumeFor(client, ns.name, FLK);
  operator = await OperatorProcess.start({ name: 'sk-rotation', namespaces: [ns.name] });
  await operator.waitReady();

  await applyAsTest(
    client,
    signingKey(ns.name, SK, {
      algorithm: 'ed25519',
      rotationInterval: '40s',
      overlap: '20s',
      rolloutTimeout: '60s',
    }),
  );
  await applyAsTest(
    client,
    fractalLBA(ns.name, FLK, {
      replicas: 1,
      signing: { keyRefs: [{ name: SK }] },
      dedup: { backend: 'memory', ttl: '10s' },
    }),
  );
  await slowRollouts(client, ns.name, FLK);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'flk-sk-keys-'));
  projection = await SecretProjection.start({
    client,
    namespace: ns.name,
    name: `${SK}-verifier`,
    labelSelector: `${SIGNINGKEY_LABEL}=${SK}`,
    dir,
  });
  await projection.waitFor('to hold a key', (keys) => keys.some((k) => k.endsWith('.json')));
  backends = await startBackends(2, dir);
});

afterAll(async () => {
  await Promise.all(backends.map((b) => b.stop()));
  await projection?.stop();
  await operator?.stop();
  await ns?.remove();
  await removeVolume?.();
});

interface Submission {
  kid: string;
  backend: number;
  status: number;
}

describe('SigningKey rotation in real time (interval 40s, overlap 20s)', () => {
  it('an agent reading the signer Secret before each submission is never rejected across three rotations; the old key verifies inside its overlap and gets 401 after it', async () => {
    const first = await waitForSigningKey(
      client,
      ns.name,
      SK,
      'the first key to be Active',
      (sk) => conditionOf(sk, 'Ready')?.status === 'True' && sk.status?.activeKeyId,
    );
    const activations = [first];
    const submissions: Submission[] = [];
    let overlapCheck: Promise<void> | undefined;
    let previous: SignerKey | undefined;

    const deadline = Date.now() + 270_000;
    for (let i = 0; activations.length < 4 && Date.now() < deadline && i < 5_000; i++) {
      const signer = (await readSigner(client, ns.name, SK)).active;
      expect(signer, 'the signer Secret always holds an Active key').toBeDefined();
      if (!signer) break;
      if (previous && signer.kid !== previous.kid) {
        activations.push(signer.kid);
        if (!overlapCheck) overlapCheck = checkOverlap(previous);
      }
      previous = signer;

      const backend = i % backends.length;
      const res = await submit(backends[backend]!.url, signedRecord(signer, 'agent'));
      submissions.push({ kid: signer.kid, backend, status: res.status });
      await elapse(100); // the agent's pace, not an assertion
    }

    expect(submissions.filter((s) => s.status !== 200)).toEqual([]);
    expect(activations).toHaveLength(4);
    expect(new Set(activations).size).toBe(4);
    const perKey = new Set(submissions.map((s) => s.kid));
    expect(perKey.size).toBe(4);
    await overlapCheck;

    const sk = await waitForSigningKey(client, ns.name, SK, 'status to list every key', (s) => s);
    const minted = sk.status?.keys?.map((k) => k.kid) ?? [];
    for (const kid of activations) expect(minted).toContain(kid);
    expect(
      minted.filter((kid) => !activations.includes(kid)).length,
      'at most the next key is still Pending',
    ).toBeLessThanOrEqual(1);
  });
});

/** The replaced key: 200 from every backend before its notAfter, 401 from every backend after it. */
async function checkOverlap(old: SignerKey): Promise<void> {
  const retiring = await waitForSigningKey(
    client,
    ns.name,
    SK,
    `key ${old.kid} to be Retiring`,
    (sk) => {
      const key = keyIn(sk, old.kid);
      return key?.state === 'Retiring' && key.notAfter ? key : undefined;
    },
  );
  const notAfter = Date.parse(retiring.notAfter!);
  expect(notAfter - Date.now(), 'the overlap has most of its 20 s left').toBeGreaterThan(10_000);

  for (const b of backends) {
    const inside = await submit(b.url, signedRecord(old, 'old-key-inside'));
    expect(inside.status, `a record signed with ${old.kid} inside its overlap`).toBe(200);
  }

  await elapse(Math.max(0, notAfter - Date.now() + 1_500)); // wait for the window to end
  for (const b of backends) {
    const after = await submit(b.url, signedRecord(old, 'old-key-after'));
    expect(after.status, `a record signed with ${old.kid} after its overlap`).toBe(401);
  }
}
