/**
 * The install manifest as a pure function of its options (plus the CRD files in crds/): a cdk8s
 * App and Chart, `toJson()` only, objects in apply order with their keys in canonical order, so
 * the same options always give the same bytes.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';

import { App, Chart, Include } from 'cdk8s';
import { k8s } from 'cdk8s-plus-34';
import { stringify } from 'yaml';

import { canonical } from '../synth.ts';
import type { KubeManifest } from '../types.ts';
import { CRD_LABEL, installLabels, installNames } from './names.ts';
import {
  addMetricsService,
  addOperatorDeployment,
  addServiceMonitor,
} from './operator-workload.ts';
import { REPO_ROOT, validateInstallOptions, type InstallOptions } from './options.ts';
import { addAggregatedRoles, addRbac, addServiceAccount } from './rbac.ts';

export const CRD_DIR = path.join(REPO_ROOT, 'crds');

/** Apply order: what others refer to comes first (the namespace, the CRDs, the identity). */
const KIND_ORDER = [
  'Namespace',
  'CustomResourceDefinition',
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'Service',
  'Deployment',
  'PodDisruptionBudget',
  'ServiceMonitor',
];

export interface InstallManifests {
  /** Everything: `dist/install.yaml`. */
  install: KubeManifest[];
  /** The CRDs alone: `dist/crds.yaml`, for installing or removing them on their own. */
  crds: KubeManifest[];
  /** Everything but the CRDs: `dist/operator.yaml` (e.g. a GitOps Application that may prune). */
  operator: KubeManifest[];
}

export function crdFilePaths(dir = CRD_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => path.join(dir, f));
}

export function renderInstall(o: InstallOptions, crdDir = CRD_DIR): InstallManifests {
  validateInstallOptions(o);
  const names = installNames(o);
  const app = new App();
  const chart = new Chart(app, 'flk-install', { disableResourceNameHashes: true });

  new k8s.KubeNamespace(chart, 'namespace', {
    metadata: {
      name: o.namespace,
      labels: {
        ...installLabels(o),
        // The operator's pods meet the restricted profile; admission refuses any that do not.
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
      },
    },
  });
  for (const [i, file] of crdFilePaths(crdDir).entries()) {
    const included = new Include(chart, `crd-${i}`, { url: file });
    for (const crd of included.apiObjects) crd.metadata.addLabel(CRD_LABEL, 'true');
  }
  addServiceAccount(chart, o, names);
  addRbac(chart, o, names);
  addAggregatedRoles(chart, o, names);
  addMetricsService(chart, o, names);
  addOperatorDeployment(chart, o, names);
  if (o.serviceMonitor) addServiceMonitor(chart, o, names);

  const objects = chart.toJson().map((obj) => canonical(obj) as KubeManifest);
  const rank = (m: KubeManifest) => {
    const i = KIND_ORDER.indexOf(m.kind);
    return i < 0 ? KIND_ORDER.length : i;
  };
  // Array.prototype.sort is stable: objects of one kind keep the order they were added in.
  const install = objects.sort((a, b) => rank(a) - rank(b));
  const isCrd = (m: KubeManifest) => m.kind === 'CustomResourceDefinition';
  return { install, crds: install.filter(isCrd), operator: install.filter((m) => !isCrd(m)) };
}

/** Multi-document YAML, one object per document, under a header saying how it was made. */
export function toYaml(objects: readonly KubeManifest[], header: string): string {
  const docs = objects.map((o) => stringify(o, { lineWidth: 0 }));
  return `# ${header}\n---\n${docs.join('---\n')}`;
}
