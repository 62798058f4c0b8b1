/**
 * Leader election: two operator replicas on one Lease; one leads and reconciles, the other stands
 * by (ready, not reconciling); when the leader is killed the standby takes over and reconciles; a
 * leader stopped gracefully hands the lease over at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { KubeClient } from '../../operator/kube/client.ts';
import type { Lease } from '../../operator/kube/lease.ts';
import { applyAsTest, createNamespace, installCrds, testClient } from './helpers/cluster.ts';
import { waitForCondition } from './helpers/flk.ts';
import { fractalLBA, walVolumeFor } from './helpers/fixtures.ts';
import { OperatorProcess } from './helpers/operator-process.ts';
import { waitFor } from './helpers/wait.ts';

let client: KubeClient;
let ns: Awaited<ReturnType<typeof createNamespace>>;
const replicas: Record<'a' | 'b', OperatorProcess> = {} as never;
const cleanups: Array<() => Promise<void>> = [];
const leaseName = 'flk-operator-e2e';

beforeAll(async () => {
  client = testClient();
  await installCrds(client);
  ns = await createNamespace(client, 'flk-e2e-leader');
  for (const id of ['a', 'b'] as const) {
    replicas[id] = await OperatorProcess.start({
      name: `leader-${id}`,
      namespaces: [ns.name],
      leaderElect: true,
      leaseName,
      leaseNamespace: ns.name,
      identity: `replica-${id}`,
    });
  }
  await Promise.all(Object.values(replicas).map((r) => r.waitReady()));
});

afterAll(async () => {
  await Promise.all(Object.values(replicas).map((r) => r.stop()));
  for (const cleanup of cleanups) await cleanup().catch(() => {});
  await ns?.remove();
});

const lease = () =>
  client.get<Lease>({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    namespace: ns.name,
    name: leaseName,
  });
const holder = async () => (await lease())?.spec?.holderIdentity;
const replicaOf = (identity: string | undefined) =>
  identity === 'replica-a' ? replicas.a : replicas.b;

async function converges(name: string) {
  cleanups.push(await walVolumeFor(client, ns.name, name));
  await applyAsTest(client, fractalLBA(ns.name, name, { signing: { mode: 'none' } }));
  await waitForCondition(client, ns.name, name, { type: 'Ready', status: 'True' }, 90_000);
}

describe('two replicas', () => {
  it('elect one leader; only the leader reconciles; both are ready', async () => {
    const leader = await waitFor('a lease holder', 30_000, holder);
    expect(['replica-a', 'replica-b']).toContain(leader);
    const standby = leader === 'replica-a' ? replicas.b : replicas.a;

    await converges('one');

    expect(await replicaOf(leader).metric('flk_operator_leader')).toBe(1);
    expect(await standby.metric('flk_operator_leader')).toBe(0);
    expect(standby.logs.some((l) => l.msg === 'reconcile finished')).toBe(false);
    expect(
      replicaOf(leader).logs.some((l) => l.msg === 'reconcile finished' && l.name === 'one'),
    ).toBe(true);
    expect((await fetch(`${standby.healthURL}/readyz`)).status).toBe(200);
  });

  it('fail over when the leader is killed: the standby takes the lease and reconciles', async () => {
    const before = (await lease())!;
    const leader = replicaOf(before.spec?.holderIdentity);
    const standby = leader === replicas.a ? replicas.b : replicas.a;

    await leader.kill('SIGKILL');
    const next = await waitFor('the standby to take the lease', 60_000, async () => {
      const l = await lease();
      return l?.spec?.holderIdentity === standby.options.identity && l;
    });
    await waitFor(
      'the new leader to say so in its metrics',
      10_000,
      async () => (await standby.metric('flk_operator_leader')) === 1,
    );

    expect(next.spec!.leaseTransitions).toBe((before.spec!.leaseTransitions ?? 0) + 1);
    await converges('two');
    expect(standby.logs.some((l) => l.msg === 'reconcile finished' && l.name === 'two')).toBe(true);

    leader.restart();
    await leader.waitReady();
  });

  it('hand the lease over at once when the leader stops gracefully', async () => {
    const leader = replicaOf(await holder());
    const standby = leader === replicas.a ? replicas.b : replicas.a;

    const stoppedAt = Date.now();
    expect((await leader.kill('SIGTERM')).code).toBe(0);
    await waitFor(
      'the standby to take the released lease',
      30_000,
      async () => (await holder()) === standby.options.identity,
    );

    // Well inside the 15 s lease: the lease was released, not left to expire.
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    await converges('three');

    leader.restart();
    await leader.waitReady();
  });
});
