/**
 * Fault injection with a ValidatingAdmissionPolicy (a built-in CEL admission check, no webhook):
 * while a block is in place the API server refuses every create and update of one named object
 * (or of its status) in one namespace, so an operator trying to write it stops right before that
 * step and can be killed there. Scoped to the test's namespace; removed by `unblock()`.
 */
import { randomBytes } from 'node:crypto';

import type { KubeClient } from '../../../operator/kube/client.ts';
import { applyAsTest } from './cluster.ts';
import { waitFor } from './wait.ts';

export interface BlockTarget {
  namespace: string;
  /** `{ group: '', resource: 'secrets' }` or `{ group: 'flk.fractal-lba.io', resource: 'signingkeys/status' }`. */
  group: string;
  resource: string;
  name: string;
  /** The object's API path, for the dry-run that proves the block is in force. */
  probePath: string;
}

export async function blockWrites(
  client: KubeClient,
  target: BlockTarget,
): Promise<() => Promise<void>> {
  const name = `flk-e2e-block-${randomBytes(3).toString('hex')}`;
  const admission = 'admissionregistration.k8s.io/v1';
  await applyAsTest(client, {
    apiVersion: admission,
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': target.namespace } },
        resourceRules: [
          {
            apiGroups: [target.group],
            apiVersions: ['*'],
            operations: ['CREATE', 'UPDATE'],
            resources: [target.resource],
          },
        ],
      },
      validations: [
        {
          expression: `object.metadata.name != '${target.name}'`,
          message: `blocked by the e2e test (${name})`,
        },
      ],
    },
  });
  await applyAsTest(client, {
    apiVersion: admission,
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name },
    spec: { policyName: name, validationActions: ['Deny'] },
  });

  // Policies take effect (and lapse) a moment after they are stored: probe with a dry-run write.
  const refused = async () => {
    try {
      await client.request({
        method: 'PATCH',
        path: target.probePath,
        query: { dryRun: 'All', fieldManager: 'flk-e2e' },
        body: { metadata: { annotations: { 'flk-e2e/probe': String(Date.now()) } } },
        contentType: 'application/merge-patch+json',
      });
      return false;
    } catch (err) {
      if ((err as Error).message.includes(name)) return true;
      throw err;
    }
  };
  await waitFor(`the admission block ${name} to take effect`, 30_000, refused);

  return async () => {
    await client.delete({ apiVersion: admission, kind: 'ValidatingAdmissionPolicyBinding', name });
    await client.delete({ apiVersion: admission, kind: 'ValidatingAdmissionPolicy', name });
    await waitFor(
      `the admission block ${name} to be lifted`,
      30_000,
      async () => !(await refused()),
    );
  };
}
