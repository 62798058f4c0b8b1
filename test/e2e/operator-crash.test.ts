/**
 * Crashes: the operator killed with SIGKILL in the middle of a reconcile (some children applied,
 * others not, no status yet) and started again ends converged; a plain restart of a settled
 * operator writes nothing; SIGTERM exits 0 after finishing what is in flight.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { KubeClient } from '../../operator/kube/client.ts';
import { applyAsTest, createNamespace, installCrds, testClient } from './helpers/cluster.ts';
import { defaultChildren, listChildren, waitForCondition } from './helpers/flk.ts';
import { fractalLBA, walVolumeFor } from './helpers/fixtures.ts';
import { OperatorProcess } from './helpers/operator-process.ts';
import { waitFor } from './helpers/wait.ts';
import { attributeWrites, type AttributedWrites } from './helpers/write-attribution.ts';

let client: KubeClient;
let ns: Awaited<ReturnType<typeof createNamespace>>;
let operator: OperatorProcess;
let writes: AttributedWrites;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  client = testClient();
  await installCrds(client);
  ns = await createNamespace(client, 'flk-e2e-crash');
  writes = await attributeWrites(client, ns.name.split('-').at(-1)!);
  operator = await OperatorProcess.start({
    name: 'crash',
    namespaces: [ns.name],
    kubeconfig: writes.kubeconfig,
  });
  await operator.waitReady();
});

afterAll(async () => {
  await operator?.stop();
  await writes?.remove().catch(() => {});
  for (const cleanup of cleanups) await cleanup().catch(() => {});
  await ns?.remove();
});

describe('SIGKILL in the middle of a reconcile', () => {
  it('ends converged after a restart, with every child and a Ready status', async () => {
    const name = 'crash';
    cleanups.push(await walVolumeFor(client, ns.name, name));
    const firstApply = operator.waitForLog(
      'the first child to be applied',
      (l) => l.msg === 'applied child' && l.name === name,
    );

    await applyAsTest(client, fractalLBA(ns.name, name, { signing: { mode: 'none' } }));
    await firstApply;
    const killed = await operator.kill('SIGKILL');
    const childrenAtKill = (await listChildren(client, ns.name, name)).length;

    expect(killed.signal).toBe('SIGKILL');
    expect(childrenAtKill).toBeLessThan(defaultChildren(name).length);

    operator.restart();
    await operator.waitReady();
    await waitForCondition(client, ns.name, name, {
      type: 'Ready',
      status: 'True',
      reason: 'Available',
    });
    expect(await listChildren(client, ns.name, name)).toHaveLength(defaultChildren(name).length);
  });

  it('writes nothing when restarted with nothing to change', async () => {
    const name = 'crash';
    await waitForCondition(client, ns.name, name, { type: 'Ready', status: 'True' });
    const syncedLine = () =>
      operator.logs.filter((l) => l.msg === 'caches synced; reconciling').length;
    const before = syncedLine();
    await operator.kill('SIGTERM');
    const writesBefore = await writes.count();

    operator.restart();
    await operator.waitReady();
    await waitFor(
      'the restarted operator to reconcile',
      30_000,
      () =>
        syncedLine() > before &&
        operator.logs.some(
          (l) => l.msg === 'reconcile finished' && l.name === name && l.pid === operator.pid,
        ),
    );

    expect((await writes.count()) - writesBefore).toBe(0);
  });
});

describe('SIGTERM', () => {
  it('exits 0 after a graceful shutdown', async () => {
    const result = await operator.kill('SIGTERM');

    expect(result.code).toBe(0);
    expect(operator.logs.some((l) => l.msg === 'shutdown complete' && l.exitCode === 0)).toBe(true);

    operator.restart();
    await operator.waitReady();
  });
});
