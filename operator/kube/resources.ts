import { groupOf, type GroupVersionKind } from './types.ts';

/** How the API server names a kind in URLs. */
export interface ResourceInfo {
  plural: string;
  namespaced: boolean;
}

/**
 * The kinds the operator touches, so the common case needs no discovery request. A kind not
 * listed here is looked up once through discovery and cached.
 */
const KNOWN: Record<string, ResourceInfo> = {
  '/ConfigMap': { plural: 'configmaps', namespaced: true },
  '/Event': { plural: 'events', namespaced: true },
  '/Namespace': { plural: 'namespaces', namespaced: false },
  '/PersistentVolumeClaim': { plural: 'persistentvolumeclaims', namespaced: true },
  '/Pod': { plural: 'pods', namespaced: true },
  '/Secret': { plural: 'secrets', namespaced: true },
  '/Service': { plural: 'services', namespaced: true },
  '/ServiceAccount': { plural: 'serviceaccounts', namespaced: true },
  'apps/Deployment': { plural: 'deployments', namespaced: true },
  'apps/ReplicaSet': { plural: 'replicasets', namespaced: true },
  'autoscaling/HorizontalPodAutoscaler': { plural: 'horizontalpodautoscalers', namespaced: true },
  'batch/CronJob': { plural: 'cronjobs', namespaced: true },
  'batch/Job': { plural: 'jobs', namespaced: true },
  'coordination.k8s.io/Lease': { plural: 'leases', namespaced: true },
  'networking.k8s.io/Ingress': { plural: 'ingresses', namespaced: true },
  'networking.k8s.io/NetworkPolicy': { plural: 'networkpolicies', namespaced: true },
  'policy/PodDisruptionBudget': { plural: 'poddisruptionbudgets', namespaced: true },
  'rbac.authorization.k8s.io/Role': { plural: 'roles', namespaced: true },
  'rbac.authorization.k8s.io/RoleBinding': { plural: 'rolebindings', namespaced: true },
  'apiextensions.k8s.io/CustomResourceDefinition': {
    plural: 'customresourcedefinitions',
    namespaced: false,
  },
  'monitoring.coreos.com/ServiceMonitor': { plural: 'servicemonitors', namespaced: true },
  'monitoring.coreos.com/PrometheusRule': { plural: 'prometheusrules', namespaced: true },
  'cert-manager.io/Certificate': { plural: 'certificates', namespaced: true },
  'flk.fractal-lba.io/FractalLBA': { plural: 'fractallbas', namespaced: true },
  'flk.fractal-lba.io/SigningKey': { plural: 'signingkeys', namespaced: true },
};

export function knownResource(gvk: GroupVersionKind): ResourceInfo | undefined {
  return KNOWN[`${groupOf(gvk.apiVersion)}/${gvk.kind}`];
}

/** `/api/v1` for the core group, `/apis/<group>/<version>` otherwise. */
export function apiPrefix(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

export interface PathParts {
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** The URL path of a collection (no name) or of one object, optionally a subresource of it. */
export function resourcePath(apiVersion: string, info: ResourceInfo, parts: PathParts): string {
  let path = apiPrefix(apiVersion);
  if (info.namespaced && parts.namespace)
    path += `/namespaces/${encodeURIComponent(parts.namespace)}`;
  path += `/${info.plural}`;
  if (parts.name) path += `/${encodeURIComponent(parts.name)}`;
  if (parts.subresource) path += `/${parts.subresource}`;
  return path;
}
