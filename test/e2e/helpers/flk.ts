/** Reading FractalLBAs and their children the way a person would with kubectl. */
import { API_VERSION, FRACTALLBA, LABELS } from '../../../operator/api/constants.ts';
import type { Condition } from '../../../operator/api/common.ts';
import type { FractalLBAStatus } from '../../../operator/api/fractallba.ts';
import type { KubeClient } from '../../../operator/kube/client.ts';
import type { KubeObject } from '../../../operator/kube/types.ts';
import { waitFor } from './wait.ts';

export interface LiveFractalLBA extends KubeObject {
  spec?: Record<string, unknown>;
  status?: FractalLBAStatus;
}

export function getFractalLBA(client: KubeClient, namespace: string, name: string) {
  return client.get<LiveFractalLBA>({
    apiVersion: API_VERSION,
    kind: FRACTALLBA.kind,
    namespace,
    name,
  });
}

export function condition(flk: LiveFractalLBA | undefined, type: string): Condition | undefined {
  return flk?.status?.conditions?.find((c) => c.type === type);
}

/** Waits until condition `type` has `status` (and `reason`, when given) for the current generation. */
export async function waitForCondition(
  client: KubeClient,
  namespace: string,
  name: string,
  want: { type: string; status: 'True' | 'False'; reason?: string },
  timeoutMs = 60_000,
): Promise<LiveFractalLBA> {
  let last: Condition | undefined;
  try {
    return await waitFor(
      `${namespace}/${name} ${want.type}=${want.status} ${want.reason ?? ''}`,
      timeoutMs,
      async () => {
        const flk = await getFractalLBA(client, namespace, name);
        last = condition(flk, want.type);
        const current = last?.observedGeneration === flk?.metadata.generation;
        return (
          current &&
          last?.status === want.status &&
          (!want.reason || last.reason === want.reason) &&
          flk
        );
      },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last ${want.type}: ${JSON.stringify(last)}`, {
      cause: err,
    });
  }
}

/** The kinds and names every default FractalLBA `name` renders. */
export function defaultChildren(
  name: string,
): Array<{ apiVersion: string; kind: string; name: string }> {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', name },
    { apiVersion: 'v1', kind: 'ConfigMap', name: `${name}-config` },
    { apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: `${name}-wal` },
    { apiVersion: 'v1', kind: 'Service', name },
    { apiVersion: 'apps/v1', kind: 'Deployment', name },
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', name },
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name },
    { apiVersion: 'batch/v1', kind: 'CronJob', name: `${name}-wal-compaction` },
  ];
}

export function getChild<T extends KubeObject = KubeObject>(
  client: KubeClient,
  namespace: string,
  child: { apiVersion: string; kind: string; name: string },
) {
  return client.get<T>({ ...child, namespace });
}

/** Every object of the default child kinds labelled as belonging to FractalLBA `name`. */
export async function listChildren(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<KubeObject[]> {
  const kinds = [...new Map(defaultChildren(name).map((c) => [c.kind, c])).values()];
  const lists = await Promise.all(
    kinds.map((k) =>
      client.list(
        { apiVersion: k.apiVersion, kind: k.kind },
        { namespace, labelSelector: `${LABELS.instance}=${name}` },
      ),
    ),
  );
  return lists.flatMap((l) => l.items);
}
