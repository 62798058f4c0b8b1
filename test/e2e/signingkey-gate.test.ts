/**
 * The promotion gate and the rotate annotation on the real control plane. A consumer that is
 * paused cannot roll out, so a new key stays Pending — verified by backends that already have
 * it, Degraded once rolloutTimeout passes, never promoted past the consumer — until it resumes.
 * The annotation starts exactly one rotation per new value.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ANNOTATIONS } from '../../operator/api/constants.ts';
import type { KubeClient } from '../../operator/kube/client.ts';
import { SIGNINGKEY_LABEL } from '../../operator/signingkey/names.ts';
import { submit, type BackendProcess } from '../harness/backend.ts';
import { applyAsTest, createNamespace, installCrds, testClient } from './helpers/cluster.ts';
import { fractalLBA, walVolumeFor } from './helpers/fixtures.ts';
import { waitForCondition } from './helpers/flk.ts';
import { OperatorProcess } from './helpers/operator-process.ts';
import { SecretProjection } from './helpers/secret-projection.ts';
import {
  annotate,
  backendKeyIds,
  conditionOf,
  keyIn,
  readSigner,
  signedRecord,
  signingKey,
  slowRollouts,
  startBackends,
  waitForSigningKey,
} from './helpers/signingkey.ts';
import { waitFor } from './helpers/wait.ts';

const SK = 'agents';
const FLK = 'demo';

let client: KubeClient;
let ns: { name: string; remove: () => Promise<void> };
let removeVolume: () => Promise<void>;
let operator: OperatorProcess;
let projection: SecretProjection;
let backends: BackendProcess[] = [];

const skObject = () =>
  signingKey(ns.name, SK, {
    algorithm: 'ed25519',
    rotationInterval: '1h',
    overlap: '20s',
    rolloutTimeout: '10s',
  });
const flkObject = () =>
  fractalLBA(ns.name, FLK, {
    replicas: 1,
    signing: { keyRefs: [{ name: SK }] },
    dedup: { backend: 'memory', ttl: '10s' },
  });

beforeAll(async () => {
  client = testClient();
  await installCrds(client);
  ns = await createNamespace(client, 'flk-e2e-skgate');
  removeVolume = await walVolumeFor(client, ns.name, FLK);
  operator = await OperatorProcess.start({ name: 'sk-gate', namespaces: [ns.name] });
  await operator.waitReady();

  await applyAsTest(client, skObject());
  await applyAsTest(client, flkObject());
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
  backends = await startBackends(1, dir);
});

afterAll(async () => {
  await Promise.all(backends.map((b) => b.stop()));
  await projection?.stop();
  await operator?.stop();
  await ns?.remove();
  await removeVolume?.();
});

/** Waits until the operator has finished a reconcile of the SigningKey that started after now. */
async function nextReconcile(): Promise<void> {
  const from = operator.logs.length;
  await annotate(client, skObject(), { 'flk-e2e/touch': String(Date.now()) });
  await waitFor('a reconcile of the SigningKey after the touch', 30_000, () =>
    operator.logs
      .slice(from)
      .some(
        (l) => l.msg === 'reconcile finished' && l.controller === 'signingkey' && l.name === SK,
      ),
  );
}

describe('the promotion gate and the rotate annotation', () => {
  it('a paused consumer holds the new key Pending: backends that have it accept it, Degraded names the consumer, and it is promoted only once the consumer rolls out', async () => {
    const first = await waitForSigningKey(
      client,
      ns.name,
      SK,
      'the first key to be Active',
      (sk) => (conditionOf(sk, 'Ready')?.status === 'True' ? sk.status?.activeKeyId : undefined),
    );

    await annotate(client, flkObject(), { [ANNOTATIONS.paused]: 'true' });
    await waitForCondition(client, ns.name, FLK, {
      type: 'Progressing',
      status: 'False',
      reason: 'Paused',
    });
    await annotate(client, skObject(), { [ANNOTATIONS.rotate]: 'r1' });

    const pending = await waitForSigningKey(client, ns.name, SK, 'a Pending key for r1', (sk) =>
      sk.status?.lastRotateRequest === 'r1'
        ? sk.status.keys?.find((k) => k.state === 'Pending')
        : undefined,
    );
    await waitFor(`the backend to load ${pending.kid}`, 30_000, async () =>
      (await backendKeyIds(backends[0]!.url)).includes(pending.kid),
    );

    const signer = await readSigner(client, ns.name, SK);
    expect(signer.active?.kid, 'agents still sign with the Active key').toBe(first);
    expect(signer.pending?.kid).toBe(pending.kid);
    const early = await submit(backends[0]!.url, signedRecord(signer.pending!, 'pending-key'));
    expect(early.status, 'a record signed with the Pending key, at a backend that has it').toBe(
      200,
    );

    const degraded = await waitForSigningKey(
      client,
      ns.name,
      SK,
      'Degraded after rolloutTimeout',
      (sk) => {
        const c = conditionOf(sk, 'Degraded');
        return c?.status === 'True' ? { sk, c } : undefined;
      },
    );
    expect(degraded.c.reason).toBe('RolloutTimedOut');
    expect(degraded.c.message).toContain(`FractalLBA ${FLK}`);
    expect(keyIn(degraded.sk, pending.kid)?.state, 'never promoted past the paused consumer').toBe(
      'Pending',
    );
    expect(degraded.sk.status?.activeKeyId).toBe(first);
    expect(Date.now() - Date.parse(pending.createdAt!)).toBeGreaterThanOrEqual(10_000);

    await annotate(client, flkObject(), { [ANNOTATIONS.paused]: null });
    const promoted = await waitForSigningKey(
      client,
      ns.name,
      SK,
      `${pending.kid} to be Active`,
      (sk) => (sk.status?.activeKeyId === pending.kid ? sk : undefined),
    );
    expect(keyIn(promoted, first)?.state).toBe('Retiring');
    await waitForSigningKey(
      client,
      ns.name,
      SK,
      'Degraded to clear',
      (sk) => conditionOf(sk, 'Degraded')?.status === 'False',
    );
  });

  it('the rotate annotation fires once per value', async () => {
    const before = await waitForSigningKey(client, ns.name, SK, 'no key Pending', (sk) =>
      sk.status?.keys?.every((k) => k.state !== 'Pending') ? sk : undefined,
    );
    const kids = new Set(before.status?.keys?.map((k) => k.kid));

    await nextReconcile();
    const after = await waitForSigningKey(client, ns.name, SK, 'status', (sk) => sk);
    expect(
      after.status?.keys?.filter((k) => !kids.has(k.kid)),
      'the value r1 was already acted on',
    ).toEqual([]);

    await annotate(client, skObject(), { [ANNOTATIONS.rotate]: 'r2' });
    const rotated = await waitForSigningKey(
      client,
      ns.name,
      SK,
      'the key of r2 to be Active',
      (sk) => {
        const added = sk.status?.keys?.filter((k) => !kids.has(k.kid)) ?? [];
        return sk.status?.lastRotateRequest === 'r2' &&
          added.length === 1 &&
          added[0]?.state === 'Active'
          ? added
          : undefined;
      },
    );
    expect(rotated).toHaveLength(1);

    await nextReconcile();
    const settled = await waitForSigningKey(client, ns.name, SK, 'status', (sk) => sk);
    expect(settled.status?.keys?.filter((k) => !kids.has(k.kid))).toHaveLength(1);
  });
});
