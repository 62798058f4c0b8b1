/**
 * Counting the writes of one client exactly, from the API server's own metrics, on a cluster that
 * others use at the same time.
 *
 * `apiserver_request_total` has no label saying who wrote, so on a shared cluster it cannot tell
 * the operator's writes from anyone else's. API Priority and Fairness can: a FlowSchema matches
 * requests by user, verb and resource, and the API server counts every request it dispatches per
 * FlowSchema (`apiserver_flowcontrol_dispatched_requests_total{flow_schema=...}`). So the operator
 * under test runs as its own user (impersonated through its kubeconfig, bound to cluster-admin,
 * not in system:masters, whose requests skip APF), and a FlowSchema of the test's own matches
 * every write that user makes. Its counter is the operator's write count, from the server.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

import { parse, stringify } from 'yaml';

import type { KubeClient } from '../../../operator/kube/client.ts';
import { REPO, applyAsTest, kubeconfigPath } from './cluster.ts';

const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];

export interface AttributedWrites {
  /** The user the operator must run as. */
  user: string;
  /** A kubeconfig that makes its holder that user. */
  kubeconfig: string;
  /** Writes the user has made, as the API server counts them. */
  count(): Promise<number>;
  remove(): Promise<void>;
}

export async function attributeWrites(client: KubeClient, id: string): Promise<AttributedWrites> {
  const user = `flk-e2e-operator-${id}`;
  const schema = `flk-e2e-writes-${id}`;

  await applyAsTest(client, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: user },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
  });
  await applyAsTest(client, {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
    kind: 'FlowSchema',
    metadata: { name: schema },
    spec: {
      // Before every suggested schema (the lowest of them is 100 below the catch-all), after exempt.
      matchingPrecedence: 150,
      priorityLevelConfiguration: { name: 'global-default' },
      distinguisherMethod: { type: 'ByUser' },
      rules: [
        {
          subjects: [{ kind: 'User', user: { name: user } }],
          resourceRules: [
            {
              verbs: WRITE_VERBS,
              apiGroups: ['*'],
              resources: ['*'],
              namespaces: ['*'],
              clusterScope: true,
            },
          ],
        },
      ],
    },
  });

  const kubeconfig = impersonatingKubeconfig(user);
  return {
    user,
    kubeconfig,
    count: async () => {
      const text = await client.request<string>({ method: 'GET', path: '/metrics', rawText: true });
      return text
        .split('\n')
        .filter(
          (l) =>
            l.startsWith('apiserver_flowcontrol_dispatched_requests_total{') &&
            l.includes(`flow_schema="${schema}"`),
        )
        .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    },
    remove: async () => {
      await client.delete({
        apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
        kind: 'FlowSchema',
        name: schema,
      });
      await client.delete({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        name: user,
      });
    },
  };
}

/** A copy of the suite's kubeconfig whose user acts as `user` (`as:`, i.e. Impersonate-User). */
function impersonatingKubeconfig(user: string): string {
  const config = parse(readFileSync(kubeconfigPath(), 'utf8')) as {
    'current-context': string;
    contexts: Array<{ name: string; context: { user: string } }>;
    users: Array<{ name: string; user: Record<string, unknown> }>;
  };
  const context = config.contexts.find((c) => c.name === config['current-context']);
  const entry = config.users.find((u) => u.name === context?.context.user);
  if (!entry) throw new Error(`kubeconfig ${kubeconfigPath()} has no user for its current context`);
  entry.user.as = user;

  const dir = path.join(REPO, '.flk/e2e');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `kubeconfig-${user}`);
  writeFileSync(file, stringify(config), { mode: 0o600 });
  return file;
}
