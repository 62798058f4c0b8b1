/** Objects the e2e tests create: FractalLBAs, verifier Secrets, and a volume for each WAL claim. */
import { API_VERSION, FRACTALLBA } from '../../../operator/api/constants.ts';
import type { KubeClient } from '../../../operator/kube/client.ts';
import type { KubeObject } from '../../../operator/kube/types.ts';
import { applyAsTest } from './cluster.ts';

export function fractalLBA(
  namespace: string,
  name: string,
  spec: Record<string, unknown> = {},
): KubeObject {
  return { apiVersion: API_VERSION, kind: FRACTALLBA.kind, metadata: { name, namespace }, spec };
}

/** A SigningKey's verifier Secret as the SigningKey controller writes it: one `<keyId>.json` per key. */
export function verifierSecret(
  namespace: string,
  signingKey: string,
  keyIds: string[],
): KubeObject {
  const data = Object.fromEntries(
    keyIds.map((id) => [
      `${id}.json`,
      Buffer.from(JSON.stringify({ keyId: id, alg: 'ed25519' })).toString('base64'),
    ]),
  );
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `${signingKey}-verifier`, namespace },
    type: 'Opaque',
    data,
  };
}

/**
 * A PersistentVolume bound in advance to the WAL claim `<flk>-wal`, so the claim binds without a
 * provisioner (the local control plane has none) and the pods can be scheduled. kwok runs no
 * containers, so the hostPath is never used.
 */
export async function walVolumeFor(
  client: KubeClient,
  namespace: string,
  flk: string,
): Promise<() => Promise<void>> {
  const name = `${namespace}-${flk}-wal`;
  await applyAsTest(client, {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, labels: { 'flk-e2e/namespace': namespace } },
    spec: {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce', 'ReadWriteMany'],
      persistentVolumeReclaimPolicy: 'Retain',
      hostPath: { path: `/tmp/flk-e2e/${name}` },
      claimRef: { namespace, name: `${flk}-wal` },
    },
  });
  return async () => {
    await client.delete({ apiVersion: 'v1', kind: 'PersistentVolume', name });
  };
}
