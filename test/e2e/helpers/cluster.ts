/**
 * The cluster the e2e suite runs against: `$KUBECONFIG` when set (kind in CI, any cluster), else
 * the local control plane's `.flk/kubeconfig` (`npm run cluster:up`). Fails with one line saying
 * what to do when there is neither.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

import { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

import { KubeClient } from '../../../operator/kube/client.ts';
import type { KubeObject } from '../../../operator/kube/types.ts';
import { waitFor } from './wait.ts';

export const REPO = path.resolve(import.meta.dirname, '../../..');
export const LOCAL_KUBECONFIG = path.join(REPO, '.flk/kubeconfig');

/** Field manager of everything the tests themselves write. */
export const TEST_MANAGER = 'flk-e2e';

/** Path of the kubeconfig the suite uses. */
export function kubeconfigPath(): string {
  const fromEnv = process.env.KUBECONFIG;
  if (fromEnv) return fromEnv;
  if (existsSync(LOCAL_KUBECONFIG)) return LOCAL_KUBECONFIG;
  throw new Error(
    'no cluster for the e2e suite: set KUBECONFIG, or start the local control plane with `npm run cluster:up`',
  );
}

export function testClient(): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath());
  return new KubeClient(kc, { userAgent: TEST_MANAGER, timeoutMs: 15_000 });
}

/** Server-side applies `obj` as the test's own field manager. */
export function applyAsTest<T extends KubeObject>(client: KubeClient, obj: KubeObject): Promise<T> {
  return client.apply<T>(obj, { fieldManager: TEST_MANAGER, force: true });
}

/** Installs (or updates) the CRDs of `crds/*.yaml` and waits until the API server serves them. */
export async function installCrds(client: KubeClient): Promise<void> {
  const dir = path.join(REPO, 'crds');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  const crds: KubeObject[] = files.flatMap((f) =>
    parseAllDocuments(readFileSync(path.join(dir, f), 'utf8'))
      .map((doc) => doc.toJS() as KubeObject | null)
      .filter((o): o is KubeObject => o?.kind === 'CustomResourceDefinition'),
  );
  for (const crd of crds) await applyAsTest(client, crd);

  for (const crd of crds) {
    await waitFor(`CRD ${crd.metadata.name} to be established`, 30_000, async () => {
      const live = await client.get<
        KubeObject & { status?: { conditions?: { type: string; status: string }[] } }
      >({
        apiVersion: crd.apiVersion,
        kind: crd.kind,
        name: crd.metadata.name ?? '',
      });
      return live?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });
  }
}

/** A namespace of the test's own; `remove()` deletes it and waits (bounded) until it is gone. */
export async function createNamespace(client: KubeClient, prefix: string) {
  const name = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  const ref = { apiVersion: 'v1', kind: 'Namespace', name };
  await applyAsTest(client, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return {
    name,
    remove: async () => {
      await client.delete(ref);
      await waitFor(
        `namespace ${name} to be deleted`,
        120_000,
        async () => !(await client.get(ref)),
        1000,
      );
    },
  };
}
