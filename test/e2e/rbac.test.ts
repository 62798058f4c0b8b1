/**
 * The install's RBAC, proven on a real API server: the operator runs as a child process whose
 * only credential is a token of its own ServiceAccount (TokenRequest API), with the RBAC objects
 * exactly as `npm run synth` renders them, and converges a FractalLBA and a SigningKey; the API
 * server's own SelfSubjectAccessReview shows every rule is used as granted and that what the
 * operator does not need is not granted. Both variants: one ClusterRole, and Roles limited to
 * the watched namespaces (`--namespaces`).
 *
 * Only the RBAC objects are applied here (no operator Deployment): on kind its pods would really
 * run and do the work this test wants the child process to do. install.test.ts applies it all.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { API_VERSION, FIELD_MANAGER, SIGNINGKEY } from '../../operator/api/constants.ts';
import type { KubeClient } from '../../operator/kube/client.ts';
import type { KubeObject } from '../../operator/kube/types.ts';
import { WATCHED_NAMESPACE_RULES, leaderElectionRules } from '../../cdk8s/install/rbac-rules.ts';
import { toYaml } from '../../cdk8s/install/chart.ts';
import type { KubeManifest } from '../../cdk8s/types.ts';
import { applyAsTest, testClient } from './helpers/cluster.ts';
import { fractalLBA, walVolumeFor } from './helpers/fixtures.ts';
import { defaultChildren, getChild, getFractalLBA, waitForCondition } from './helpers/flk.ts';
import { OperatorProcess } from './helpers/operator-process.ts';
import { waitFor } from './helpers/wait.ts';
import {
  applyFile,
  canI,
  createTestNamespace,
  removeInstall,
  serviceAccountKubeconfig,
  synth,
  uniqueName,
} from './install-harness.ts';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const RBAC_KINDS = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
]);

let admin: KubeClient;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(() => {
  admin = testClient();
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

/** Renders an install and applies its namespace, CRDs, ServiceAccount and RBAC objects. */
async function installRbacOnly(
  tag: string,
  extraArgs: (name: string) => string[],
  extraNamespaces: (name: string) => string[],
) {
  const name = uniqueName(tag);
  const namespaces = [name, ...extraNamespaces(name)];
  cleanups.push(() => removeInstall(admin, name, namespaces));
  for (const ns of namespaces.slice(1)) await createTestNamespace(admin, ns);

  const rendered = synth(['--namespace', name, '--name', name, ...extraArgs(name)]);
  const rbacOnly = rendered.objects.filter((o) => RBAC_KINDS.has(o.kind));
  const file = path.join(rendered.dir, 'rbac.yaml');
  writeFileSync(
    file,
    toYaml(rbacOnly as KubeManifest[], 'RBAC objects of the install, for rbac.test.ts'),
  );
  applyFile(file);

  const sa = await serviceAccountKubeconfig(admin, name, name);
  return { name, sa, objects: rbacOnly };
}

async function waitForSigningKeyReady(namespace: string, name: string) {
  return waitFor(`SigningKey ${namespace}/${name} Ready`, 90_000, async () => {
    const sk = await admin.get<KubeObject & { status?: Any }>({
      apiVersion: API_VERSION,
      kind: SIGNINGKEY.kind,
      namespace,
      name,
    });
    const ready = sk?.status?.conditions?.find((c: Any) => c.type === 'Ready');
    return (
      ready?.status === 'True' &&
      ready.observedGeneration === sk?.metadata.generation &&
      (sk as KubeObject & { status: Any })
    );
  });
}

/** A SigningKey and a FractalLBA that verifies with it, and the operator's proof of convergence. */
async function convergeAsServiceAccount(operator: OperatorProcess, namespace: string) {
  cleanups.push(await walVolumeFor(admin, namespace, 'alpha'));
  await applyAsTest(admin, {
    apiVersion: API_VERSION,
    kind: SIGNINGKEY.kind,
    metadata: { name: 'k1', namespace },
    spec: { algorithm: 'ed25519', rotationInterval: '30d', overlap: '14d' },
  });
  await applyAsTest(
    admin,
    fractalLBA(namespace, 'alpha', { signing: { keyRefs: [{ name: 'k1' }] } }),
  );

  const flk = await waitForCondition(
    admin,
    namespace,
    'alpha',
    { type: 'Ready', status: 'True', reason: 'Available' },
    120_000,
  );
  const sk = await waitForSigningKeyReady(namespace, 'k1');

  for (const expected of defaultChildren('alpha')) {
    const child = await getChild(admin, namespace, expected);
    expect(child, `${expected.kind} ${expected.name}`).toBeDefined();
    expect(child!.metadata.ownerReferences?.[0]).toMatchObject({
      uid: flk.metadata.uid,
      controller: true,
    });
  }
  for (const secret of [sk.status.signerSecretName, sk.status.verifierSecretName]) {
    const s = await admin.get({ apiVersion: 'v1', kind: 'Secret', namespace, name: secret });
    expect(s?.metadata.managedFields?.map((m) => m.manager)).toContain(FIELD_MANAGER);
  }
  expect(flk.status?.keyIds).toEqual([sk.status.activeKeyId]);

  const events = await admin.list<KubeObject & { reason: string }>(
    { apiVersion: 'v1', kind: 'Event' },
    { namespace, fieldSelector: 'involvedObject.kind=FractalLBA,involvedObject.name=alpha' },
  );
  expect(events.items.map((e) => e.reason)).toContain('Created');
  const denied = operator.logs.filter((l) => JSON.stringify(l).includes('forbidden'));
  expect(denied, 'the operator was refused a request; see its log').toEqual([]);
}

/** Every verb of every rule, on its resource in `namespace`: each must be allowed. */
async function expectEveryRuleGranted(sa: KubeClient, namespace: string) {
  const refused: string[] = [];
  for (const rule of WATCHED_NAMESPACE_RULES) {
    for (const group of rule.apiGroups) {
      for (const full of rule.resources) {
        const [resource, subresource] = full.split('/') as [string, string | undefined];
        for (const verb of rule.verbs) {
          if (!(await canI(sa, { verb, group, resource, subresource, namespace })))
            refused.push(`${verb} ${group}/${full}`);
        }
      }
    }
  }
  expect(refused).toEqual([]);
}

describe('with the ClusterRole (every namespace)', () => {
  let install: Awaited<ReturnType<typeof installRbacOnly>>;
  let apps: string;
  let operator: OperatorProcess;

  beforeAll(async () => {
    install = await installRbacOnly(
      'rbac',
      () => [],
      (name) => [`${name}-apps`],
    );
    apps = `${install.name}-apps`;
    operator = await OperatorProcess.start({
      name: 'rbac-cluster',
      namespaces: [apps],
      leaderElect: true,
      leaseName: install.name,
      leaseNamespace: install.name,
      extraEnv: { KUBECONFIG: install.sa.file, POD_NAMESPACE: install.name },
    });
    cleanups.push(() => operator.stop());
    await operator.waitReady();
  });

  it('runs as system:serviceaccount:<namespace>:<name> with a TokenRequest token, not as the admin', async () => {
    const review = await install.sa.client.request<{ status: { userInfo: { username: string } } }>({
      method: 'POST',
      path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    expect(review.status.userInfo.username).toBe(install.sa.user);
  });

  it('converges a FractalLBA and its SigningKey: children, Secrets, status, events, and holds its Lease', async () => {
    await convergeAsServiceAccount(operator, apps);

    const lease = await admin.get<KubeObject & { spec?: { holderIdentity?: string } }>({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      namespace: install.name,
      name: install.name,
    });
    expect(lease?.spec?.holderIdentity).toBeTruthy();
    expect(await operator.metric('flk_operator_leader')).toBe(1);
  });

  it('is granted every verb of every rule it has, and its Lease only by name', async () => {
    await expectEveryRuleGranted(install.sa.client, apps);
    const lease = { group: 'coordination.k8s.io', resource: 'leases', namespace: install.name };
    expect(leaderElectionRules(install.name).flatMap((r) => r.resourceNames ?? [])).toEqual([
      install.name,
    ]);
    expect(await canI(install.sa.client, { ...lease, verb: 'create' })).toBe(true);
    expect(await canI(install.sa.client, { ...lease, verb: 'update', name: install.name })).toBe(
      true,
    );
    expect(
      await canI(install.sa.client, { ...lease, verb: 'update', name: 'someone-elses-lease' }),
    ).toBe(false);
  });

  it.each([
    [
      'delete CRDs',
      { verb: 'delete', group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions' },
    ],
    [
      'create CRDs',
      { verb: 'create', group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions' },
    ],
    ['list nodes', { verb: 'list', resource: 'nodes' }],
    [
      'escalate a ClusterRole',
      { verb: 'escalate', group: 'rbac.authorization.k8s.io', resource: 'clusterroles' },
    ],
    [
      'bind a ClusterRole',
      { verb: 'bind', group: 'rbac.authorization.k8s.io', resource: 'clusterroles' },
    ],
    [
      'create a ClusterRoleBinding',
      { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings' },
    ],
    ['impersonate users', { verb: 'impersonate', resource: 'users' }],
    ['create pods', { verb: 'create', resource: 'pods', namespace: 'default' }],
    [
      'exec into pods',
      { verb: 'create', resource: 'pods', subresource: 'exec', namespace: 'default' },
    ],
    [
      'mint ServiceAccount tokens',
      { verb: 'create', resource: 'serviceaccounts', subresource: 'token', namespace: 'default' },
    ],
    ['delete Secrets', { verb: 'delete', resource: 'secrets', namespace: 'default' }],
    [
      'update a FractalLBA (its spec is never written)',
      {
        verb: 'update',
        group: 'flk.fractal-lba.io',
        resource: 'fractallbas',
        namespace: 'default',
      },
    ],
    [
      'delete a FractalLBA',
      {
        verb: 'delete',
        group: 'flk.fractal-lba.io',
        resource: 'fractallbas',
        namespace: 'default',
      },
    ],
    [
      'patch a SigningKey (only its status)',
      { verb: 'patch', group: 'flk.fractal-lba.io', resource: 'signingkeys', namespace: 'default' },
    ],
    [
      'update Deployments with PUT',
      { verb: 'update', resource: 'deployments', group: 'apps', namespace: 'default' },
    ],
    [
      'events.k8s.io Events (it writes core Events)',
      { verb: 'create', group: 'events.k8s.io', resource: 'events', namespace: 'default' },
    ],
    [
      'Leases outside its namespace',
      {
        verb: 'update',
        group: 'coordination.k8s.io',
        resource: 'leases',
        namespace: 'kube-system',
        name: 'kube-controller-manager',
      },
    ],
  ])('is not granted: %s', async (_what, attrs) => {
    expect(await canI(install.sa.client, attrs)).toBe(false);
  });
});

describe('with Roles in the watched namespaces only (--namespaces)', () => {
  let install: Awaited<ReturnType<typeof installRbacOnly>>;
  let watched: string;
  let operator: OperatorProcess;

  beforeAll(async () => {
    install = await installRbacOnly(
      'rbacns',
      (name) => ['--namespaces', `${name}-w`],
      (name) => [`${name}-w`],
    );
    watched = `${install.name}-w`;
    operator = await OperatorProcess.start({
      name: 'rbac-namespaced',
      namespaces: [watched],
      leaderElect: true,
      leaseName: install.name,
      leaseNamespace: install.name,
      extraEnv: { KUBECONFIG: install.sa.file, POD_NAMESPACE: install.name },
    });
    cleanups.push(() => operator.stop());
    await operator.waitReady();
  });

  it('renders no ClusterRole or ClusterRoleBinding for the operator', () => {
    const clusterWide = install.objects.filter(
      (o) =>
        (o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding') &&
        !o.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-edit'] &&
        !o.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-view'],
    );
    expect(clusterWide).toEqual([]);
  });

  it('converges a FractalLBA and its SigningKey in the watched namespace', async () => {
    await convergeAsServiceAccount(operator, watched);
    const flk = await getFractalLBA(admin, watched, 'alpha');
    expect(flk?.status?.observedGeneration).toBe(flk?.metadata.generation);
  });

  it('is granted every rule in the watched namespace', async () => {
    await expectEveryRuleGranted(install.sa.client, watched);
  });

  it.each([
    ['Secrets in kube-system', { verb: 'get', resource: 'secrets', namespace: 'kube-system' }],
    ['Secrets of every namespace', { verb: 'list', resource: 'secrets' }],
    [
      'FractalLBAs of every namespace',
      { verb: 'watch', group: 'flk.fractal-lba.io', resource: 'fractallbas' },
    ],
    [
      'Deployments in a namespace it does not watch',
      { verb: 'patch', group: 'apps', resource: 'deployments', namespace: 'default' },
    ],
    [
      'status of FractalLBAs elsewhere',
      {
        verb: 'patch',
        group: 'flk.fractal-lba.io',
        resource: 'fractallbas',
        subresource: 'status',
        namespace: 'default',
      },
    ],
  ])('is not granted: %s', async (_what, attrs) => {
    expect(await canI(install.sa.client, attrs)).toBe(false);
  });
});
