/**
 * `dist/install.yaml` on a real API server, the way a platform team uses it: applied with
 * `kubectl apply --server-side`, applied again with no change, upgraded by applying a newer
 * manifest over it, and uninstalled while the CRDs, the FractalLBAs and SigningKeys, and their
 * children stay. The reconciling is done by the operator running as its installed ServiceAccount
 * (a child process with that account's token, standing in for a replica: on the local control
 * plane kwok only pretends to run the Deployment's pods; on kind they run too and share the Lease).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { API_VERSION, FRACTALLBA, SIGNINGKEY } from '../../operator/api/constants.ts';
import type { KubeClient } from '../../operator/kube/client.ts';
import type { KubeObject } from '../../operator/kube/types.ts';
import { CRD_LABEL } from '../../cdk8s/install/names.ts';
import { packageVersion } from '../../cdk8s/install/options.ts';
import { applyAsTest, testClient } from './helpers/cluster.ts';
import { fractalLBA, walVolumeFor } from './helpers/fixtures.ts';
import { condition, getFractalLBA, listChildren, waitForCondition } from './helpers/flk.ts';
import { OperatorProcess } from './helpers/operator-process.ts';
import { waitFor } from './helpers/wait.ts';
import {
  applyFile,
  createTestNamespace,
  kubectl,
  liveState,
  operatorImage,
  readObjects,
  removeInstall,
  serviceAccountKubeconfig,
  synth,
  uniqueName,
  waitForRollout,
  type Rendered,
} from './install-harness.ts';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const name = uniqueName('main');
const apps = `${name}-apps`;
const OLD_VERSION = '0.0.9-e2e';

let admin: KubeClient;
let older: Rendered;
let newer: Rendered;
let operator: OperatorProcess | undefined;
const cleanups: Array<() => Promise<void>> = [];

/** uid of every object that must survive an upgrade and an uninstall, by kind and name. */
let survivors: Map<string, string>;

async function workloadUids(): Promise<Map<string, string>> {
  const uids = new Map<string, string>();
  const add = (o: KubeObject | undefined) =>
    o && uids.set(`${o.kind} ${o.metadata.name}`, o.metadata.uid ?? '');
  add(await getFractalLBA(admin, apps, 'alpha'));
  add(
    await admin.get({
      apiVersion: API_VERSION,
      kind: SIGNINGKEY.kind,
      namespace: apps,
      name: 'k1',
    }),
  );
  for (const child of await listChildren(admin, apps, 'alpha')) add(child);
  for (const secret of ['k1-signer', 'k1-verifier'])
    add(await admin.get({ apiVersion: 'v1', kind: 'Secret', namespace: apps, name: secret }));
  for (const crd of [
    `${FRACTALLBA.plural}.flk.fractal-lba.io`,
    `${SIGNINGKEY.plural}.flk.fractal-lba.io`,
  ]) {
    add(
      await admin.get({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        name: crd,
      }),
    );
  }
  return uids;
}

async function waitForCrds(objects: readonly KubeObject[]) {
  for (const crd of objects.filter((o) => o.kind === 'CustomResourceDefinition')) {
    await waitFor(`CRD ${crd.metadata.name} to be established`, 30_000, async () => {
      const live = await admin.get<KubeObject & { status?: Any }>({
        apiVersion: crd.apiVersion,
        kind: crd.kind,
        name: crd.metadata.name ?? '',
      });
      return live?.status?.conditions?.some(
        (c: Any) => c.type === 'Established' && c.status === 'True',
      );
    });
  }
}

beforeAll(async () => {
  admin = testClient();
  cleanups.push(() => removeInstall(admin, name, [name, apps]));
  await createTestNamespace(admin, apps);
  const common = ['--namespace', name, '--name', name, '--image', operatorImage()];
  older = synth([...common, '--version', OLD_VERSION]);
  newer = synth(common);
});

afterAll(async () => {
  await operator?.stop();
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

describe('a fresh install', () => {
  it('applies with server-side apply; the operator rolls out two ready pods under the restricted profile', async () => {
    applyFile(older.installFile);
    await waitForCrds(older.objects);

    const deployment = (await waitForRollout(admin, name, name)) as Any;
    const namespace = await admin.get({ apiVersion: 'v1', kind: 'Namespace', name });

    expect(deployment.status.readyReplicas).toBe(2);
    expect(namespace?.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const pods = await admin.list<KubeObject & { spec: Any }>(
      { apiVersion: 'v1', kind: 'Pod' },
      { namespace: name },
    );
    expect(pods.items).toHaveLength(2);
    for (const pod of pods.items) expect(pod.spec.serviceAccountName).toBe(name);
  });

  it('a second apply of the same file changes nothing: every resourceVersion and managedFields entry stays', async () => {
    const before = await liveState(admin, older.objects);
    applyFile(older.installFile);
    const after = await liveState(admin, older.objects);

    expect(after).toEqual(before);
  });

  it('the operator on the installed ServiceAccount converges a SigningKey and a FractalLBA that uses it', async () => {
    const sa = await serviceAccountKubeconfig(admin, name, name);
    operator = await OperatorProcess.start({
      name: 'install',
      namespaces: [apps],
      leaderElect: true,
      leaseName: name,
      leaseNamespace: name,
      extraEnv: { KUBECONFIG: sa.file, POD_NAMESPACE: name },
    });
    await operator.waitReady();
    cleanups.push(await walVolumeFor(admin, apps, 'alpha'));

    await applyAsTest(admin, {
      apiVersion: API_VERSION,
      kind: SIGNINGKEY.kind,
      metadata: { name: 'k1', namespace: apps },
      spec: { algorithm: 'ed25519', rotationInterval: '30d', overlap: '14d' },
    });
    await applyAsTest(admin, fractalLBA(apps, 'alpha', { signing: { keyRefs: [{ name: 'k1' }] } }));
    await waitForCondition(
      admin,
      apps,
      'alpha',
      { type: 'Ready', status: 'True', reason: 'Available' },
      120_000,
    );

    survivors = await workloadUids();
    expect([...survivors.keys()]).toEqual(
      expect.arrayContaining([
        'FractalLBA alpha',
        'SigningKey k1',
        'Deployment alpha',
        'Secret k1-verifier',
        'PersistentVolumeClaim alpha-wal',
      ]),
    );
  });
});

describe('upgrade: a newer install.yaml applied over the older one', () => {
  it('rolls the operator to the new version and keeps every FractalLBA, SigningKey and child', async () => {
    const oldTemplate = (
      (await admin.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: name, name })) as Any
    ).spec.template;
    applyFile(newer.installFile);
    const deployment = (await waitForRollout(admin, name, name)) as Any;

    expect(oldTemplate.metadata.labels['app.kubernetes.io/version']).toBe(OLD_VERSION);
    expect(deployment.spec.template.metadata.labels['app.kubernetes.io/version']).toBe(
      packageVersion(),
    );
    expect(await workloadUids()).toEqual(survivors);
    const flk = await getFractalLBA(admin, apps, 'alpha');
    expect(condition(flk, 'Ready')?.status).toBe('True');
  });

  it('and applying the newer one again changes nothing', async () => {
    const before = await liveState(admin, newer.objects);
    applyFile(newer.installFile);
    expect(await liveState(admin, newer.objects)).toEqual(before);
  });
});

describe('uninstall', () => {
  it("`kubectl delete -f install.yaml -l '!flk.fractal-lba.io/crd'` removes the operator and keeps CRDs, resources and children", async () => {
    await operator?.stop();
    const out = kubectl(['delete', '-f', newer.installFile, '-l', `!${CRD_LABEL}`, '--wait=false']);

    expect(out).not.toContain('customresourcedefinition');
    await waitFor(
      `namespace ${name} to be gone`,
      120_000,
      async () => !(await admin.get({ apiVersion: 'v1', kind: 'Namespace', name })),
    );
    const clusterRole = await admin.get({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      name,
    });
    expect(clusterRole).toBeUndefined();
    expect(await workloadUids()).toEqual(survivors);
  });

  it('dist/crds.yaml holds the CRDs alone, for removing them (and every resource) on purpose', () => {
    const crds = readObjects(newer.crdsFile);
    const inInstall = newer.objects.filter((o) => o.kind === 'CustomResourceDefinition');

    expect(crds.map((o) => o.metadata.name)).toEqual(inInstall.map((o) => o.metadata.name));
    for (const crd of crds) expect(crd.metadata.labels?.[CRD_LABEL]).toBe('true');
    for (const o of newer.objects.filter((x) => x.kind !== 'CustomResourceDefinition')) {
      expect(o.metadata.labels?.[CRD_LABEL], `${o.kind} ${o.metadata.name}`).toBeUndefined();
    }
  });
});
