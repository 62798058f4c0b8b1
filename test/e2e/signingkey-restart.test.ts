/**
 * The operator killed (SIGKILL) between each pair of persisted rotation steps, on the real
 * control plane. A ValidatingAdmissionPolicy refuses the next write (the verifier Secret, or the
 * SigningKey's status), so the operator stops exactly after the previous one; it is killed there,
 * the block is lifted, and a new operator process must resume: the same key, no step skipped or
 * repeated, no second key minted, and never a signer key the verifier Secret does not hold.
 *
 *   mint       signer Secret (pending.json) | verifier Secret (Pending) | status (Pending)
 *   promotion  signer Secret (signer.json)  | verifier Secret (windows) | status (Active/Retiring)
 *   expiry                                    verifier Secret (removed) | status (Expired)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ANNOTATIONS, API_VERSION } from '../../operator/api/constants.ts';
import type { KubeClient } from '../../operator/kube/client.ts';
import { blockWrites } from './helpers/admission-block.ts';
import { applyAsTest, createNamespace, installCrds, testClient } from './helpers/cluster.ts';
import { fractalLBA, walVolumeFor } from './helpers/fixtures.ts';
import { waitForCondition } from './helpers/flk.ts';
import { KeySecretsObserver } from './helpers/key-secrets-observer.ts';
import { OperatorProcess } from './helpers/operator-process.ts';
import {
  annotate,
  conditionOf,
  keyIn,
  signingKey,
  slowRollouts,
  waitForSigningKey,
} from './helpers/signingkey.ts';

const SK = 'agents';
const FLK = 'demo';
const OVERLAP_MS = 20_000;

let client: KubeClient;
let ns: { name: string; remove: () => Promise<void> };
let removeVolume: () => Promise<void>;
let operator: OperatorProcess;
let observer: KeySecretsObserver;
const unblocks: Array<() => Promise<void>> = [];

const skObject = () =>
  signingKey(ns.name, SK, {
    algorithm: 'ed25519',
    rotationInterval: '1h',
    overlap: '20s',
    rolloutTimeout: '60s',
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
  ns = await createNamespace(client, 'flk-e2e-skkill');
  removeVolume = await walVolumeFor(client, ns.name, FLK);
  operator = await OperatorProcess.start({ name: 'sk-restart', namespaces: [ns.name] });
  await operator.waitReady();
  observer = await KeySecretsObserver.start(client, ns.name, SK);

  await applyAsTest(client, skObject());
  await applyAsTest(client, flkObject());
  await slowRollouts(client, ns.name, FLK);
});

afterAll(async () => {
  for (const unblock of unblocks.splice(0)) await unblock().catch(() => undefined);
  await observer?.stop();
  await operator?.stop();
  await ns?.remove();
  await removeVolume?.();
});

function block(what: 'verifier Secret' | 'status') {
  const target =
    what === 'status'
      ? {
          group: 'flk.fractal-lba.io',
          resource: 'signingkeys/status',
          name: SK,
          probePath: `/apis/${API_VERSION}/namespaces/${ns.name}/signingkeys/${SK}/status`,
        }
      : {
          group: '',
          resource: 'secrets',
          name: `${SK}-verifier`,
          probePath: `/api/v1/namespaces/${ns.name}/secrets/${SK}-verifier`,
        };
  return blockWrites(client, { namespace: ns.name, ...target }).then((unblock) => {
    unblocks.push(unblock);
    return async () => {
      unblocks.splice(unblocks.indexOf(unblock), 1);
      await unblock();
    };
  });
}

/** SIGKILL the operator where it stands, lift the block, start a new operator process. */
async function killAndRestart(unblock: () => Promise<void>): Promise<void> {
  const ended = await operator.kill('SIGKILL');
  expect(ended.signal).toBe('SIGKILL');
  await unblock();
  operator.restart();
  await operator.waitReady();
}

describe('the operator killed between each pair of rotation steps', () => {
  it('resumes every step with the same key and ends in a correct state with exactly one key per rotation', async () => {
    const first = await waitForSigningKey(
      client,
      ns.name,
      SK,
      'the first key to be Active',
      (sk) => (conditionOf(sk, 'Ready')?.status === 'True' ? sk.status?.activeKeyId : undefined),
    );

    // 1 | 2: the signer Secret has pending.json, the verifier Secret does not have the key yet.
    let unblock = await block('verifier Secret');
    await annotate(client, skObject(), { [ANNOTATIONS.rotate]: 'a' });
    const a = await observer.waitFor(
      'pending.json in the signer Secret',
      (o) => o.latest('signer')?.pending,
    );
    await waitForSigningKey(
      client,
      ns.name,
      SK,
      'the refused write in status',
      (sk) => conditionOf(sk, 'Degraded')?.reason === 'WriteFailed',
    );
    expect(observer.latest('verifier')?.files[a]).toBeUndefined();
    await killAndRestart(unblock);
    await waitForSigningKey(
      client,
      ns.name,
      SK,
      `${a} to be Active`,
      (sk) => sk.status?.activeKeyId === a,
    );
    expect(observer.mintedKids()).toEqual([first, a]);

    // 2 | 3: both Secrets have the key, status does not.
    unblock = await block('status');
    await annotate(client, skObject(), { [ANNOTATIONS.rotate]: 'b' });
    const b = await observer.waitFor('a new Pending key in the verifier Secret', (o) => {
      const files = o.latest('verifier')?.files ?? {};
      return Object.keys(files).find((kid) => files[kid]?.state === 'Pending');
    });
    const beforeRestart = await waitForSigningKey(client, ns.name, SK, 'status', (sk) => sk);
    expect(keyIn(beforeRestart, b)).toBeUndefined();
    await killAndRestart(unblock);
    await waitForSigningKey(
      client,
      ns.name,
      SK,
      `${b} to be Active`,
      (sk) => sk.status?.activeKeyId === b,
    );
    expect(observer.mintedKids()).toEqual([first, a, b]);

    // 4 | 5: the signer Secret switched to the new key; the verifier Secret has no window yet.
    await annotate(client, flkObject(), { [ANNOTATIONS.paused]: 'true' });
    await waitForCondition(client, ns.name, FLK, {
      type: 'Progressing',
      status: 'False',
      reason: 'Paused',
    });
    await annotate(client, skObject(), { [ANNOTATIONS.rotate]: 'c' });
    const c = await waitForSigningKey(client, ns.name, SK, 'a Pending key for c', (sk) =>
      sk.status?.lastRotateRequest === 'c'
        ? sk.status.keys?.find((k) => k.state === 'Pending')?.kid
        : undefined,
    );
    unblock = await block('verifier Secret');
    await annotate(client, flkObject(), { [ANNOTATIONS.paused]: null });
    await observer.waitFor(
      `the signer Secret to switch to ${c}`,
      (o) => o.latest('signer')?.signing === c,
    );
    const switchedAt = Date.now();
    expect(observer.latest('verifier')?.files[b]?.notAfter).toBeUndefined();
    await killAndRestart(unblock);
    const afterC = await waitForSigningKey(
      client,
      ns.name,
      SK,
      `${c} Active and ${b} Retiring`,
      (sk) => (sk.status?.activeKeyId === c && keyIn(sk, b)?.state === 'Retiring' ? sk : undefined),
    );
    const notAfterB = Date.parse(keyIn(afterC, b)!.notAfter!);
    expect(
      notAfterB,
      "the old key's window starts no earlier than the switch",
    ).toBeGreaterThanOrEqual(switchedAt + OVERLAP_MS - 1_000);
    expect(observer.latest('verifier')?.files[b]?.notAfter).toBe(keyIn(afterC, b)?.notAfter);

    // 5 | 6: the verifier Secret has the windows, status does not.
    await annotate(client, flkObject(), { [ANNOTATIONS.paused]: 'true' });
    await waitForCondition(client, ns.name, FLK, {
      type: 'Progressing',
      status: 'False',
      reason: 'Paused',
    });
    await annotate(client, skObject(), { [ANNOTATIONS.rotate]: 'd' });
    const d = await waitForSigningKey(client, ns.name, SK, 'a Pending key for d', (sk) =>
      sk.status?.lastRotateRequest === 'd'
        ? sk.status.keys?.find((k) => k.state === 'Pending')?.kid
        : undefined,
    );
    unblock = await block('status');
    await annotate(client, flkObject(), { [ANNOTATIONS.paused]: null });
    const windowC = await observer.waitFor(`${c} to get a window in the verifier Secret`, (o) => {
      const files = o.latest('verifier')?.files ?? {};
      return files[d]?.state === 'Active' && files[c]?.state === 'Retiring'
        ? files[c]?.notAfter
        : undefined;
    });
    expect(
      keyIn(await waitForSigningKey(client, ns.name, SK, 'status', (sk) => sk), d)?.state,
    ).toBe('Pending');
    await killAndRestart(unblock);
    const afterD = await waitForSigningKey(client, ns.name, SK, `${d} Active in status`, (sk) =>
      sk.status?.activeKeyId === d ? sk : undefined,
    );
    expect(keyIn(afterD, c)).toMatchObject({ state: 'Retiring', notAfter: windowC });

    // 7 | 8: the verifier Secret dropped the expired key, status still says Retiring. The key
    // retired before it (b) must be recorded Expired first: a refused status write of its own
    // expiry would put the SigningKey into retry backoff, and c's expiry would wait for that.
    await waitForSigningKey(
      client,
      ns.name,
      SK,
      `${b} to be Expired`,
      (sk) => keyIn(sk, b)?.state === 'Expired',
      OVERLAP_MS + 30_000,
    );
    unblock = await block('status');
    await observer.waitFor(
      `${c} to leave the verifier Secret`,
      (o) => !(c in (o.latest('verifier')?.files ?? {})),
      OVERLAP_MS + 30_000,
    );
    expect(
      keyIn(await waitForSigningKey(client, ns.name, SK, 'status', (sk) => sk), c)?.state,
    ).toBe('Retiring');
    await killAndRestart(unblock);
    const final = await waitForSigningKey(client, ns.name, SK, `${c} Expired`, (sk) =>
      keyIn(sk, c)?.state === 'Expired' ? sk : undefined,
    );

    expect(observer.mintedKids()).toEqual([first, a, b, c, d]);
    expect(observer.signedBeforeVerified()).toEqual([]);
    expect(final.status?.keys?.map((k) => k.kid)).toEqual([first, a, b, c, d]);
    expect(final.status?.keys?.filter((k) => k.state === 'Active').map((k) => k.kid)).toEqual([d]);
    expect(final.status?.lastRotateRequest).toBe('d');
    const ready = await waitForSigningKey(client, ns.name, SK, 'Ready and not Degraded', (sk) =>
      conditionOf(sk, 'Ready')?.status === 'True' && conditionOf(sk, 'Degraded')?.status === 'False'
        ? sk
        : undefined,
    );
    expect(ready.status?.activeKeyId).toBe(d);
  });
});
