/**
 * The API server goes away in the middle of a reconcile and comes back: the operator must not
 * crash, its watches must reconnect (and relist), and it must end converged, including for a
 * change made after the restart, which only a live watch delivers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { KubeClient } from '../../operator/kube/client.ts';
import { canRestartApiServer, restartApiServer } from './helpers/apiserver-restart.ts';
import { applyAsTest, createNamespace, installCrds, testClient } from './helpers/cluster.ts';
import { fractalLBA, walVolumeFor } from './helpers/fixtures.ts';
import { defaultChildren, getChild, listChildren, waitForCondition } from './helpers/flk.ts';
import { OperatorProcess } from './helpers/operator-process.ts';
import { waitFor } from './helpers/wait.ts';

const restartable = canRestartApiServer();
let client: KubeClient;
let ns: Awaited<ReturnType<typeof createNamespace>>;
let operator: OperatorProcess;
const cleanups: Array<() => Promise<void>> = [];

describe.skipIf(!restartable)(
  'kube-apiserver restarted mid-reconcile (local control plane)',
  () => {
    beforeAll(async () => {
      client = testClient();
      await installCrds(client);
      ns = await createNamespace(client, 'flk-e2e-apirestart');
      operator = await OperatorProcess.start({ name: 'apirestart', namespaces: [ns.name] });
      await operator.waitReady();
    });

    afterAll(async () => {
      await operator?.stop();
      for (const cleanup of cleanups) await cleanup().catch(() => {});
      await ns?.remove();
    });

    it('the operator survives, reconnects its watches and ends converged', async () => {
      const name = 'restart';
      cleanups.push(await walVolumeFor(client, ns.name, name));
      const firstApply = operator.waitForLog(
        'the first child to be applied',
        (l) => l.msg === 'applied child' && l.name === name,
      );
      await applyAsTest(client, fractalLBA(ns.name, name, { signing: { mode: 'none' } }));
      await firstApply;

      await restartApiServer();
      await waitFor(
        'kube-apiserver to answer again',
        120_000,
        async () => {
          try {
            return (
              (await client.get({ apiVersion: 'v1', kind: 'Namespace', name: ns.name })) !==
              undefined
            );
          } catch {
            return false;
          }
        },
        500,
      );
      expect(operator.running).toBe(true);

      await waitForCondition(client, ns.name, name, { type: 'Ready', status: 'True' }, 180_000);
      expect(await listChildren(client, ns.name, name)).toHaveLength(defaultChildren(name).length);

      // A change after the restart reaches the operator only through a reconnected watch.
      await client.delete({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: ns.name,
        name: `${name}-config`,
      });
      await waitFor(
        'the deleted ConfigMap to be recreated',
        120_000,
        async () =>
          (await getChild(client, ns.name, {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            name: `${name}-config`,
          })) !== undefined,
        500,
      );
      expect(operator.running).toBe(true);
    });
  },
);
