/**
 * What the install, RBAC and GitOps e2e tests share: rendering `dist/install.yaml` the way a user
 * does (`npm run synth` with options), applying it with `kubectl apply --server-side`, a kubeconfig
 * that authenticates as the operator's ServiceAccount with a token from the TokenRequest API, and
 * removing an install again. Every install here has a unique namespace and name
 * (`flk-e2e-install-…`), so it can share a cluster with other tests and with a real install.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';

import { KubeClient } from '../../operator/kube/client.ts';
import type { KubeObject } from '../../operator/kube/types.ts';
import { INSTALL_LABEL } from '../../cdk8s/install/names.ts';
import { makeKubectl } from '../demo/kubectl.ts';
import { REPO, kubeconfigPath } from './helpers/cluster.ts';
import { waitFor } from './helpers/wait.ts';

/** Where the ServiceAccount kubeconfigs go (gitignored); removeInstall deletes them again. */
const TOKEN_DIR = path.join(REPO, '.flk/e2e');

/** Field manager of `kubectl apply --server-side` in these tests. */
export const INSTALL_MANAGER = 'flk-e2e-install';

/** `flk-e2e-install-<tag>-<random>`: unique, and recognisable as this suite's. */
export function uniqueName(tag: string): string {
  return `flk-e2e-install-${tag}-${Math.random().toString(36).slice(2, 7)}`;
}

export function kubectl(args: string[], input?: string): string {
  return makeKubectl(REPO, kubeconfigPath())(args, input);
}

/**
 * The operator image the installed Deployment runs. On kind the pods really start, so CI loads
 * the image it built and names it here; on the local control plane kwok only pretends to run
 * them and any name will do.
 */
export function operatorImage(): string {
  return process.env.FLK_E2E_OPERATOR_IMAGE || 'ghcr.io/fractal-lba/flk-operator:0.1.0';
}

export interface Rendered {
  dir: string;
  installFile: string;
  crdsFile: string;
  objects: KubeObject[];
}

/** Runs `npm run synth -- <args>` (the CLI itself, as a user would) into a temporary folder. */
export function synth(args: string[]): Rendered {
  const dir = mkdtempSync(path.join(tmpdir(), 'flk-e2e-install-'));
  execFileSync(
    process.execPath,
    ['--import', 'tsx', 'cdk8s/install/main.ts', '--out', dir, ...args],
    {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const installFile = path.join(dir, 'install.yaml');
  return {
    dir,
    installFile,
    crdsFile: path.join(dir, 'crds.yaml'),
    objects: readObjects(installFile),
  };
}

export function readObjects(file: string): KubeObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => !!o?.kind);
}

/** `kubectl apply --server-side` of a file, without --force-conflicts: a conflict fails. */
export function applyFile(file: string): string {
  return kubectl(['apply', '--server-side', `--field-manager=${INSTALL_MANAGER}`, '-f', file]);
}

/** What must not move when an apply changes nothing. */
export interface ObjectState {
  key: string;
  uid: string;
  resourceVersion: string;
  generation?: number;
  managedFields: string;
}

export async function liveState(
  client: KubeClient,
  objects: readonly KubeObject[],
): Promise<ObjectState[]> {
  const states: ObjectState[] = [];
  for (const o of objects) {
    const live = await client.get({
      apiVersion: o.apiVersion,
      kind: o.kind,
      namespace: o.metadata.namespace,
      name: o.metadata.name ?? '',
    });
    if (!live) throw new Error(`${o.kind} ${o.metadata.name} does not exist`);
    states.push({
      key: `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`,
      uid: live.metadata.uid ?? '',
      resourceVersion: live.metadata.resourceVersion ?? '',
      generation: live.metadata.generation,
      managedFields: JSON.stringify(live.metadata.managedFields ?? []),
    });
  }
  return states;
}

type DeploymentLike = KubeObject & {
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    availableReplicas?: number;
    updatedReplicas?: number;
    replicas?: number;
  };
};

/** Waits until a Deployment has rolled out its current generation completely. */
export async function waitForRollout(
  client: KubeClient,
  namespace: string,
  name: string,
  timeoutMs = 120_000,
) {
  return waitFor(`Deployment ${namespace}/${name} to roll out`, timeoutMs, async () => {
    const d = await client.get<DeploymentLike>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace,
      name,
    });
    const want = d?.spec?.replicas ?? 1;
    const s = d?.status;
    const done =
      s?.observedGeneration === d?.metadata.generation &&
      s?.updatedReplicas === want &&
      s?.availableReplicas === want &&
      s?.replicas === want;
    return done && d;
  });
}

/**
 * A kubeconfig whose only credential is a token of `namespace/serviceAccount` from the
 * TokenRequest API: a process using it has exactly that account's permissions, nothing of the
 * admin's. The cluster and its CA are the test cluster's.
 */
export async function serviceAccountKubeconfig(
  client: KubeClient,
  namespace: string,
  serviceAccount: string,
) {
  const request = await client.request<{ status: { token: string } }>({
    method: 'POST',
    path: `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`,
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    },
  });
  const admin = new KubeConfig();
  admin.loadFromFile(kubeconfigPath());
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('the test kubeconfig has no current cluster');
  const ca =
    cluster.caData ??
    (cluster.caFile ? readFileSync(cluster.caFile).toString('base64') : undefined);

  const user = `system:serviceaccount:${namespace}:${serviceAccount}`;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'e2e',
        cluster: {
          server: cluster.server,
          ...(ca ? { 'certificate-authority-data': ca } : {}),
          ...(cluster.skipTLSVerify ? { 'insecure-skip-tls-verify': true } : {}),
        },
      },
    ],
    users: [{ name: user, user: { token: request.status.token } }],
    contexts: [{ name: 'sa', context: { cluster: 'e2e', user } }],
    'current-context': 'sa',
  };
  mkdirSync(TOKEN_DIR, { recursive: true });
  const file = path.join(TOKEN_DIR, `${namespace}-${serviceAccount}.kubeconfig`);
  writeFileSync(file, stringify(config), { mode: 0o600 });

  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return { file, user, client: new KubeClient(kc, { userAgent: 'flk-e2e-sa', timeoutMs: 15_000 }) };
}

/** Whether the account behind `client` may do this, as the API server decides for its own token. */
export async function canI(
  client: KubeClient,
  attrs: {
    verb: string;
    resource: string;
    group?: string;
    namespace?: string;
    subresource?: string;
    name?: string;
  },
): Promise<boolean> {
  const review = await client.request<{ status?: { allowed?: boolean } }>({
    method: 'POST',
    path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { group: '', ...attrs } },
    },
  });
  return review.status?.allowed === true;
}

/**
 * Removes an install: its namespaced objects go with their namespaces, which are deleted and
 * waited for (so no pod of it runs on into the next test); its cluster-scoped RBAC objects are
 * found by the install label. The CRDs are left, as an uninstall leaves them.
 */
export async function removeInstall(
  client: KubeClient,
  name: string,
  namespaces: readonly string[],
): Promise<void> {
  for (const kind of ['ClusterRoleBinding', 'ClusterRole']) {
    const list = await client.list(
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind },
      { labelSelector: `${INSTALL_LABEL}=${name}` },
    );
    for (const item of list.items) {
      await client.delete({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind,
        name: item.metadata.name ?? '',
      });
    }
  }
  for (const ns of namespaces)
    await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns });
  if (existsSync(TOKEN_DIR)) {
    for (const file of readdirSync(TOKEN_DIR)) {
      const ours =
        namespaces.some((ns) => file.startsWith(`${ns}-`)) && file.endsWith('.kubeconfig');
      if (ours) rmSync(path.join(TOKEN_DIR, file));
    }
  }
  for (const ns of namespaces) {
    await waitFor(
      `namespace ${ns} to be gone`,
      120_000,
      async () => !(await client.get({ apiVersion: 'v1', kind: 'Namespace', name: ns })),
    );
  }
}

/** Creates a namespace of the test's own (the caller removes it). */
export async function createTestNamespace(client: KubeClient, name: string): Promise<void> {
  await client.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    { fieldManager: INSTALL_MANAGER, force: true },
  );
}
