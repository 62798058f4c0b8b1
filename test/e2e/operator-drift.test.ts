/**
 * Drift and quiet: a child deleted or edited by hand is put back, and a settled FractalLBA costs
 * the API server no writes at all, through resyncs included, as counted by the API server itself:
 * exactly, per client, through a FlowSchema of the test's own (see helpers/write-attribution.ts),
 * and per resource through `apiserver_request_total` when the cluster is ours alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FIELD_MANAGER, LABELS } from '../../operator/api/constants.ts';
import type { KubeClient } from '../../operator/kube/client.ts';
import type { KubeObject } from '../../operator/kube/types.ts';
import { sampleWrites, waitForQuiet, writesBetween } from './helpers/apiserver-writes.ts';
import { applyAsTest, createNamespace, installCrds, testClient } from './helpers/cluster.ts';
import {
  defaultChildren,
  getChild,
  getFractalLBA,
  listChildren,
  waitForCondition,
} from './helpers/flk.ts';
import { fractalLBA, verifierSecret, walVolumeFor } from './helpers/fixtures.ts';
import { OperatorProcess } from './helpers/operator-process.ts';
import { elapse, waitFor } from './helpers/wait.ts';
import { attributeWrites, type AttributedWrites } from './helpers/write-attribution.ts';

/** Set to 1 when others use the cluster too: the cluster-wide counter then only informs. */
const SHARED = process.env.FLK_E2E_SHARED_CLUSTER === '1';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const name = 'drift';
let client: KubeClient;
let ns: Awaited<ReturnType<typeof createNamespace>>;
let operator: OperatorProcess;
let removeVolume: () => Promise<void>;
let writes: AttributedWrites;

beforeAll(async () => {
  client = testClient();
  await installCrds(client);
  ns = await createNamespace(client, 'flk-e2e-drift');
  writes = await attributeWrites(client, ns.name.split('-').at(-1)!);
  // A short resync, so the quiet minute below spans several full resyncs.
  operator = await OperatorProcess.start({
    name: 'drift',
    namespaces: [ns.name],
    kubeconfig: writes.kubeconfig,
    extraEnv: { FLK_RESYNC: '15s' },
  });
  await operator.waitReady();

  await applyAsTest(client, verifierSecret(ns.name, 'k1', ['k1-a']));
  removeVolume = await walVolumeFor(client, ns.name, name);
  await applyAsTest(client, fractalLBA(ns.name, name, { signing: { keyRefs: [{ name: 'k1' }] } }));
  await waitForCondition(client, ns.name, name, { type: 'Ready', status: 'True' });
});

afterAll(async () => {
  await operator?.stop();
  await writes?.remove().catch(() => {});
  await removeVolume?.().catch(() => {});
  await ns?.remove();
});

describe('a child deleted by hand', () => {
  it.each([
    { apiVersion: 'v1', kind: 'Service', name },
    { apiVersion: 'v1', kind: 'ConfigMap', name: `${name}-config` },
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name },
    { apiVersion: 'apps/v1', kind: 'Deployment', name },
  ])('is recreated: $kind', async (child) => {
    const before = (await getChild(client, ns.name, child))!;

    await client.delete({ ...child, namespace: ns.name });

    const after = await waitFor(`${child.kind} ${child.name} to be recreated`, 30_000, async () => {
      const live = await getChild(client, ns.name, child);
      return live && live.metadata.uid !== before.metadata.uid && live;
    });
    expect(after.metadata.ownerReferences?.[0]?.name).toBe(name);
  });
});

describe('a child edited by hand', () => {
  it('gets its replicas back after kubectl scale', async () => {
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns.name, name };

    await client.mergePatch(ref, { spec: { replicas: 4 } }, { fieldManager: 'kubectl-scale' });

    await waitFor(
      'spec.replicas to be 1 again',
      30_000,
      async () => (await client.get<Any & KubeObject>(ref))!.spec.replicas === 1,
    );
  });

  it('gets a changed value and a removed label back, and keeps a label someone else added', async () => {
    const ref = { apiVersion: 'v1', kind: 'Service', namespace: ns.name, name };
    const live = (await client.get<Any & KubeObject>(ref))!;
    const labels = { ...live.metadata.labels, team: 'payments' } as Record<string, string | null>;
    labels[LABELS.name] = null;

    const ports = live.spec.ports.map((p: Any) => ({ ...p, targetPort: 9090 }));

    await client.mergePatch(
      ref,
      { metadata: { labels }, spec: { ports } },
      { fieldManager: 'kubectl-edit' },
    );

    const restored = await waitFor('the Service to be put back', 30_000, async () => {
      const svc = (await client.get<Any & KubeObject>(ref))!;
      return svc.spec.ports[0].targetPort === 8080 && svc.metadata.labels?.[LABELS.name]
        ? svc
        : undefined;
    });
    expect(restored.metadata.labels?.team).toBe('payments');
  });

  it('gets a changed ConfigMap value back, and says so in an event', async () => {
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name, name: `${name}-config` };
    const original = (await client.get<Any & KubeObject>(ref))!.data;
    const key = Object.keys(original)[0]!;

    await client.mergePatch(ref, { data: { [key]: 'tampered' } }, { fieldManager: 'kubectl-edit' });

    await waitFor('the ConfigMap value to be put back', 30_000, async () => {
      const cm = (await client.get<Any & KubeObject>(ref))!;
      return cm.data[key] === original[key];
    });
    await waitFor('a Reverted event', 30_000, async () => {
      const events = await client.list<KubeObject & { reason: string; message: string }>(
        { apiVersion: 'v1', kind: 'Event' },
        { namespace: ns.name, fieldSelector: `involvedObject.name=${name},reason=Reverted` },
      );
      return events.items.some((e) => e.message.includes(`ConfigMap ${name}-config`));
    });
  });
});

describe('a settled FractalLBA', () => {
  const resources = [
    'fractallbas',
    'fractallbas/status',
    ...defaultChildren(name).map((c) => `${c.kind.toLowerCase()}s`),
    'persistentvolumeclaims',
    'poddisruptionbudgets',
    'networkpolicies',
    'events',
  ];

  it('causes no write to the API server for a minute, across several resyncs', async () => {
    await waitForCondition(client, ns.name, name, { type: 'Ready', status: 'True' });
    await waitFor(
      'the operator to have made its writes',
      30_000,
      async () => (await writes.count()) > 0,
    );
    if (!SHARED) await waitForQuiet(client, resources);
    const reconcilesBefore = operator.logs.filter((l) => l.msg === 'reconcile finished').length;
    const objectsBefore = await snapshot();
    const operatorBefore = await writes.count();
    const before = await sampleWrites(client);

    await elapse(60_000);

    const after = await sampleWrites(client);
    const operatorWrites = (await writes.count()) - operatorBefore;
    const objectsAfter = await snapshot();
    const clusterWrites = Object.fromEntries(writesBetween(before, after, resources));
    const reconciles =
      operator.logs.filter((l) => l.msg === 'reconcile finished').length - reconcilesBefore;

    expect(
      reconciles,
      'the operator kept reconciling (resyncs) during the minute',
    ).toBeGreaterThanOrEqual(3);
    expect(
      operatorWrites,
      `writes by the operator (cluster-wide writes: ${JSON.stringify(clusterWrites)})`,
    ).toBe(0);
    expect(objectsAfter).toEqual(objectsBefore);
    if (!SHARED) expect(clusterWrites, 'apiserver_request_total writes to our kinds').toEqual({});
  });
});

/** resourceVersion of the FractalLBA and of each child: any write by anyone changes one. */
async function snapshot(): Promise<Record<string, string | undefined>> {
  const flk = await getFractalLBA(client, ns.name, name);
  const children = await listChildren(client, ns.name, name);
  const entries = children
    .filter((c) => c.metadata.managedFields?.some((m) => m.manager === FIELD_MANAGER))
    .map((c) => [`${c.kind}/${c.metadata.name}`, c.metadata.resourceVersion] as const);
  return Object.fromEntries([['FractalLBA', flk?.metadata.resourceVersion], ...entries]);
}
