/**
 * Kubelet's part for one backend pod that runs as a local process: from the Deployment and the
 * ConfigMap the operator rendered, every Secret volume of the backend container is projected into
 * a folder under `root` (and kept current, as kubelet does), and the environment is the
 * ConfigMap's with each path under a mount rewritten to its folder. What the process then reads
 * is exactly what the operator told the pod to read.
 */
import path from 'node:path';

import { BACKEND } from '../../../operator/api/constants.ts';
import type { KubeClient } from '../../../operator/kube/client.ts';
import type { KubeObject } from '../../../operator/kube/types.ts';
import { SecretProjection } from './secret-projection.ts';

interface PodSpecLike {
  containers: Array<{ name: string; volumeMounts?: Array<{ name: string; mountPath: string }> }>;
  volumes?: Array<{ name: string; secret?: { secretName: string } }>;
}

export interface HostPod {
  /** The ConfigMap's variables with paths mapped under `root`; no HOST, PORT or ADMIN_PORT. */
  env: Record<string, string>;
  /** Projection per Secret name. */
  projections: Map<string, SecretProjection>;
  /** The local folder of a container path (`/etc/flk/tls` → `<root>/etc/flk/tls`). */
  local(containerPath: string): string;
  stop(): Promise<void>;
}

export async function projectBackendPod(
  client: KubeClient,
  namespace: string,
  name: string,
  root: string,
): Promise<HostPod> {
  const deployment = await client.get<KubeObject & { spec: { template: { spec: PodSpecLike } } }>({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace,
    name,
  });
  const cm = await client.get<KubeObject & { data: Record<string, string> }>({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace,
    name: `${name}-config`,
  });
  if (!deployment || !cm)
    throw new Error(`Deployment or ConfigMap of ${namespace}/${name} missing`);

  const pod = deployment.spec.template.spec;
  const container = pod.containers.find((c) => c.name === BACKEND.containerName);
  const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
  const local = (p: string) => path.join(root, p);

  const projections = new Map<string, SecretProjection>();
  const mounts: string[] = [];
  for (const mount of container?.volumeMounts ?? []) {
    const secretName = volumes.get(mount.name)?.secret?.secretName;
    if (!secretName) continue;
    mounts.push(mount.mountPath);
    projections.set(
      secretName,
      await SecretProjection.start({
        client,
        namespace,
        name: secretName,
        dir: local(mount.mountPath),
      }),
    );
  }

  const { HOST: _h, PORT: _p, ADMIN_PORT: _a, ...data } = cm.data;
  const env = Object.fromEntries(
    Object.entries(data).map(([key, value]) => [
      key,
      value
        .split(',')
        .map((part) =>
          mounts.some((m) => part === m || part.startsWith(`${m}/`)) ? local(part) : part,
        )
        .join(','),
    ]),
  );

  return {
    env,
    projections,
    local,
    stop: async () => void (await Promise.all([...projections.values()].map((p) => p.stop()))),
  };
}
