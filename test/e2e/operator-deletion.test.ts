/**
 * Deletion and pruning: children go with their FractalLBA through garbage collection, a WAL claim
 * with retainOnDelete stays, a child no longer rendered is deleted, and a FractalLBA deleted while
 * the operator was down is not stuck once it is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { API_VERSION, FINALIZER_RETAIN_WAL, FRACTALLBA } from '../../operator/api/constants.ts';
import type { KubeClient } from '../../operator/kube/client.ts';
import { applyAsTest, createNamespace, installCrds, testClient } from './helpers/cluster.ts';
import {
  defaultChildren,
  getChild,
  getFractalLBA,
  listChildren,
  waitForCondition,
} from './helpers/flk.ts';
import { fractalLBA, walVolumeFor } from './helpers/fixtures.ts';
import { OperatorProcess } from './helpers/operator-process.ts';
import { waitFor } from './helpers/wait.ts';

let client: KubeClient;
let ns: Awaited<ReturnType<typeof createNamespace>>;
let operator: OperatorProcess;
const cleanups: Array<() => Promise<void>> = [];
const unsigned = { signing: { mode: 'none' } };

beforeAll(async () => {
  client = testClient();
  await installCrds(client);
  ns = await createNamespace(client, 'flk-e2e-delete');
  operator = await OperatorProcess.start({ name: 'delete', namespaces: [ns.name] });
  await operator.waitReady();
});

afterAll(async () => {
  await operator?.stop();
  for (const cleanup of cleanups) await cleanup().catch(() => {});
  await ns?.remove();
});

async function readyFractalLBA(name: string, spec: Record<string, unknown> = {}) {
  cleanups.push(await walVolumeFor(client, ns.name, name));
  await applyAsTest(client, fractalLBA(ns.name, name, { ...unsigned, ...spec }));
  return waitForCondition(client, ns.name, name, { type: 'Ready', status: 'True' });
}

const flkRef = (name: string) => ({
  apiVersion: API_VERSION,
  kind: FRACTALLBA.kind,
  namespace: ns.name,
  name,
});
const claimRef = (name: string) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  name: `${name}-wal`,
});

describe('deleting a FractalLBA', () => {
  it('removes every child through garbage collection, the WAL claim included by default', async () => {
    const name = 'gc';
    await readyFractalLBA(name);
    expect(await listChildren(client, ns.name, name)).toHaveLength(defaultChildren(name).length);

    await client.delete(flkRef(name), { propagationPolicy: 'Background' });

    await waitFor(
      'every child to be garbage collected',
      90_000,
      async () => (await listChildren(client, ns.name, name)).length === 0,
      500,
    );
    expect(await getFractalLBA(client, ns.name, name)).toBeUndefined();
  });

  it('keeps the WAL claim with retainOnDelete: no owner reference on it, and it outlives the FractalLBA', async () => {
    const name = 'keep';
    const ready = await readyFractalLBA(name, { wal: { retainOnDelete: true } });
    const claim = await getChild(client, ns.name, claimRef(name));

    expect(claim!.metadata.ownerReferences ?? []).toEqual([]);
    expect(ready.metadata.finalizers).toContain(FINALIZER_RETAIN_WAL);

    await client.delete(flkRef(name));

    await waitFor(
      'the FractalLBA to be gone',
      60_000,
      async () => !(await getFractalLBA(client, ns.name, name)),
    );
    await waitFor(
      'the other children to be garbage collected',
      90_000,
      async () => {
        const left = await listChildren(client, ns.name, name);
        return left.length === 1 && left[0]!.kind === 'PersistentVolumeClaim';
      },
      500,
    );
    const kept = await getChild(client, ns.name, claimRef(name));
    expect(kept?.metadata.uid).toBe(claim!.metadata.uid);
    expect(kept?.metadata.deletionTimestamp).toBeUndefined();
  });

  it('finishes a deletion that happened while the operator was down, keeping the claim it was asked to keep', async () => {
    const name = 'down';
    await readyFractalLBA(name, { wal: { retainOnDelete: true } });
    // The claim is still owned, as if retainOnDelete had just been turned on and not yet applied.
    const claim = (await getChild(client, ns.name, claimRef(name)))!;
    const flk = (await getFractalLBA(client, ns.name, name))!;
    await operator.kill('SIGTERM');
    await client.mergePatch(
      { ...claimRef(name), namespace: ns.name },
      {
        metadata: {
          ownerReferences: [
            {
              apiVersion: API_VERSION,
              kind: FRACTALLBA.kind,
              name,
              uid: flk.metadata.uid,
              controller: true,
            },
          ],
        },
      },
      { fieldManager: 'flk-e2e' },
    );

    await client.delete(flkRef(name));
    const terminating = await getFractalLBA(client, ns.name, name);
    expect(terminating?.metadata.deletionTimestamp).toBeDefined();

    operator.restart();
    await operator.waitReady();
    await waitFor(
      'the FractalLBA to be gone once the operator is back',
      60_000,
      async () => !(await getFractalLBA(client, ns.name, name)),
    );
    await waitFor(
      'the other children to be garbage collected',
      90_000,
      async () => (await listChildren(client, ns.name, name)).length === 1,
      500,
    );
    const kept = await getChild(client, ns.name, claimRef(name));
    expect(kept?.metadata.uid).toBe(claim.metadata.uid);
    expect(kept?.metadata.ownerReferences ?? []).toEqual([]);
  });
});

describe('a child that is no longer rendered', () => {
  it('is deleted: turning the PodDisruptionBudget off prunes it and leaves the rest', async () => {
    const name = 'prune';
    await readyFractalLBA(name);
    const pdb = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', name };
    expect(await getChild(client, ns.name, pdb)).toBeDefined();

    await applyAsTest(client, fractalLBA(ns.name, name, { ...unsigned, pdb: { enabled: false } }));

    await waitFor(
      'the PodDisruptionBudget to be pruned',
      30_000,
      async () => !(await getChild(client, ns.name, pdb)),
    );
    await waitForCondition(client, ns.name, name, { type: 'Ready', status: 'True' });
    expect(await listChildren(client, ns.name, name)).toHaveLength(
      defaultChildren(name).length - 1,
    );
  });

  it('never touches an object of the same kind that it does not own', async () => {
    const name = 'neighbour';
    await readyFractalLBA(name, { pdb: { enabled: false } });
    const mine = {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: {
        name: `${name}-hand-made`,
        namespace: ns.name,
        labels: {
          'flk.fractal-lba.io/instance': name,
          'app.kubernetes.io/managed-by': 'flk-operator',
        },
      },
      spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'x' } } },
    };
    await applyAsTest(client, mine);
    // Nudge a reconcile and wait for it to finish.
    await applyAsTest(
      client,
      fractalLBA(ns.name, name, { ...unsigned, pdb: { enabled: false }, image: 'example.org/b:2' }),
    );
    await waitForCondition(client, ns.name, name, { type: 'Ready', status: 'True' });

    expect(
      await getChild(client, ns.name, {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        name: `${name}-hand-made`,
      }),
    ).toBeDefined();
  });
});
