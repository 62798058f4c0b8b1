/**
 * The ServiceAccount and its RBAC: one ClusterRole when the operator watches every namespace, or
 * one Role per watched namespace (and nothing cluster-wide) when it is limited to some; always a
 * Role for the leader Lease in its own namespace. The rules are in rbac-rules.ts.
 */
import type { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-34';

import { installLabels, type InstallNames } from './names.ts';
import type { InstallOptions } from './options.ts';
import {
  AGGREGATE_EDIT_RULES,
  AGGREGATE_VIEW_RULES,
  WATCHED_NAMESPACE_RULES,
  leaderElectionRules,
  type PolicyRule,
} from './rbac-rules.ts';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

const copyRules = (rules: readonly PolicyRule[]): k8s.PolicyRule[] => rules.map((r) => ({ ...r }));

export function addServiceAccount(chart: Chart, o: InstallOptions, names: InstallNames): void {
  new k8s.KubeServiceAccount(chart, 'service-account', {
    metadata: { name: names.serviceAccount, namespace: o.namespace, labels: installLabels(o) },
  });
}

export function addRbac(chart: Chart, o: InstallOptions, names: InstallNames): void {
  const labels = installLabels(o);
  const subjects: k8s.Subject[] = [
    { kind: 'ServiceAccount', name: names.serviceAccount, namespace: o.namespace },
  ];

  if (o.watchNamespaces.length === 0) {
    new k8s.KubeClusterRole(chart, 'cluster-role', {
      metadata: { name: names.clusterRole, labels },
      rules: copyRules(WATCHED_NAMESPACE_RULES),
    });
    new k8s.KubeClusterRoleBinding(chart, 'cluster-role-binding', {
      metadata: { name: names.clusterRole, labels },
      roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: names.clusterRole },
      subjects,
    });
  } else {
    for (const namespace of o.watchNamespaces) {
      new k8s.KubeRole(chart, `role-${namespace}`, {
        metadata: { name: names.clusterRole, namespace, labels },
        rules: copyRules(WATCHED_NAMESPACE_RULES),
      });
      new k8s.KubeRoleBinding(chart, `role-binding-${namespace}`, {
        metadata: { name: names.clusterRole, namespace, labels },
        roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name: names.clusterRole },
        subjects,
      });
    }
  }

  new k8s.KubeRole(chart, 'leader-election-role', {
    metadata: { name: names.leaderElectionRole, namespace: o.namespace, labels },
    rules: copyRules(leaderElectionRules(names.lease)),
  });
  new k8s.KubeRoleBinding(chart, 'leader-election-role-binding', {
    metadata: { name: names.leaderElectionRole, namespace: o.namespace, labels },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name: names.leaderElectionRole },
    subjects,
  });
}

/** ClusterRoles aggregated into the built-in edit/admin and view roles, for people. */
export function addAggregatedRoles(chart: Chart, o: InstallOptions, names: InstallNames): void {
  const labels = installLabels(o);
  new k8s.KubeClusterRole(chart, 'aggregate-edit', {
    metadata: {
      name: names.aggregateEdit,
      labels: {
        ...labels,
        'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
        'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
      },
    },
    rules: copyRules(AGGREGATE_EDIT_RULES),
  });
  new k8s.KubeClusterRole(chart, 'aggregate-view', {
    metadata: {
      name: names.aggregateView,
      labels: { ...labels, 'rbac.authorization.k8s.io/aggregate-to-view': 'true' },
    },
    rules: copyRules(AGGREGATE_VIEW_RULES),
  });
}
