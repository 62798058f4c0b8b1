/**
 * The operator as CI installs it on kind: the image built from this commit, deployed by
 * `dist/install.yaml` into flk-system and limited to one namespace, with a backend whose pods
 * really run the backend image (readiness means it serves and has loaded the SigningKey's keys).
 * It runs only where the workflow says such an install exists (FLK_E2E_INCLUSTER_NAMESPACE); on
 * the local control plane kwok only pretends to run pods, and the other e2e files run the
 * operator as a child process instead.
 */
import { afterAll, describe, expect, it } from 'vitest';

import { API_VERSION, FRACTALLBA, SIGNINGKEY } from '../../operator/api/constants.ts';
import type { KubeObject } from '../../operator/kube/types.ts';
import { applyAsTest, testClient } from './helpers/cluster.ts';
import { fractalLBA } from './helpers/fixtures.ts';
import { getFractalLBA } from './helpers/flk.ts';
import { kubectl, waitForRollout } from './install-harness.ts';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const namespace = process.env.FLK_E2E_INCLUSTER_NAMESPACE;
const operatorNamespace = process.env.FLK_E2E_INCLUSTER_OPERATOR_NAMESPACE || 'flk-system';
const backendImage = process.env.FLK_E2E_BACKEND_IMAGE || 'flk-backend:ci';

describe.skipIf(!namespace)('the operator installed in the cluster from dist/install.yaml', () => {
  const client = testClient();
  const ns = namespace ?? '';

  afterAll(async () => {
    await client.delete({
      apiVersion: API_VERSION,
      kind: FRACTALLBA.kind,
      namespace: ns,
      name: 'smoke',
    });
    await client.delete({
      apiVersion: API_VERSION,
      kind: SIGNINGKEY.kind,
      namespace: ns,
      name: 'smoke-key',
    });
  });

  it('runs two ready replicas, and one of them holds the leader Lease', async () => {
    const deployment = (await waitForRollout(client, operatorNamespace, 'flk-operator')) as Any;
    const pods = await client.list(
      { apiVersion: 'v1', kind: 'Pod' },
      { namespace: operatorNamespace, labelSelector: 'app.kubernetes.io/name=flk-operator' },
    );
    const lease = await client.get<KubeObject & { spec?: { holderIdentity?: string } }>({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      namespace: operatorNamespace,
      name: 'flk-operator',
    });

    expect(deployment.status.readyReplicas).toBe(2);
    const holder = lease?.spec?.holderIdentity ?? '';
    expect(pods.items.some((p) => holder.startsWith(`${p.metadata.name}-`))).toBe(true);
  });

  it('converges a SigningKey and a FractalLBA whose backend runs the CI image; kubectl wait returns', async () => {
    await applyAsTest(client, {
      apiVersion: API_VERSION,
      kind: SIGNINGKEY.kind,
      metadata: { name: 'smoke-key', namespace: ns },
      spec: { algorithm: 'ed25519', rotationInterval: '30d', overlap: '14d' },
    });
    await applyAsTest(
      client,
      fractalLBA(ns, 'smoke', {
        image: backendImage,
        replicas: 1,
        signing: { keyRefs: [{ name: 'smoke-key' }] },
      }),
    );

    const wait = (resource: string) =>
      kubectl(['wait', '--for=condition=Ready', resource, '-n', ns, '--timeout=300s']);
    expect(wait('signingkey/smoke-key')).toContain('condition met');
    expect(wait('fractallba/smoke')).toContain('condition met');

    const sk = await client.get<KubeObject & { status?: Any }>({
      apiVersion: API_VERSION,
      kind: SIGNINGKEY.kind,
      namespace: ns,
      name: 'smoke-key',
    });
    const flk = await getFractalLBA(client, ns, 'smoke');
    expect(flk?.status?.keyIds).toContain(sk?.status?.activeKeyId);
    expect(flk?.status?.readyReplicas).toBe(1);
  });
});
