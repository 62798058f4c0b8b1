import { FRACTALLBA, GROUP, LABELS } from '../api/constants.ts';
import { groupOf, type GroupVersionKind, type KubeObject } from '../kube/types.ts';

/**
 * Every kind the renderer can produce. The operator caches each (label-selected, so only our own
 * children) to detect drift and to prune what is no longer rendered.
 */
export const CHILD_KINDS: readonly GroupVersionKind[] = [
  { apiVersion: 'v1', kind: 'ServiceAccount' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
  { apiVersion: 'batch/v1', kind: 'CronJob' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor' },
  { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule' },
  { apiVersion: 'cert-manager.io/v1', kind: 'Certificate' },
];

/**
 * Kinds that exist only where an add-on installed their CRD, and what to tell a person whose
 * FractalLBA asks for one in a cluster without it.
 */
export const OPTIONAL_CHILD_KINDS: ReadonlyMap<string, string> = new Map([
  [
    'ServiceMonitor',
    'install the Prometheus Operator CRDs, or turn off spec.metrics.serviceMonitor',
  ],
  [
    'PrometheusRule',
    'install the Prometheus Operator CRDs, or turn off spec.metrics.prometheusRule',
  ],
  [
    'Certificate',
    'install cert-manager (its CRDs), or replace spec.tls.certificate with spec.tls.secretName naming a kubernetes.io/tls Secret you manage',
  ],
]);

/** Cache key of a kind: `apps/v1 Deployment`. */
export function kindKey(gvk: GroupVersionKind): string {
  return `${gvk.apiVersion} ${gvk.kind}`;
}

/**
 * Identity of one child across API versions: `apps Deployment ns/name` (the same object served
 * as two versions is one child).
 */
export function childKey(obj: {
  apiVersion: string;
  kind: string;
  metadata: { namespace?: string; name?: string };
}) {
  return `${groupOf(obj.apiVersion) || 'core'} ${obj.kind} ${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

/** Expectation key of the FractalLBA object itself. */
export function fractalLBAKey(namespace: string, name: string): string {
  return `${GROUP} ${FRACTALLBA.kind} ${namespace}/${name}`;
}

/** True when `obj` is controlled by the FractalLBA with this uid. */
export function isOwnedBy(obj: KubeObject, uid: string | undefined): boolean {
  return (
    !!uid && (obj.metadata.ownerReferences ?? []).some((ref) => ref.uid === uid && ref.controller)
  );
}

/**
 * The queue key (`namespace/name`) of the FractalLBA a child belongs to: its controller owner
 * reference, or for a retained WAL claim (no owner reference by design) the instance label.
 */
export function ownerKeyOf(obj: KubeObject): string | undefined {
  const namespace = obj.metadata.namespace;
  if (!namespace) return undefined;

  const owner = (obj.metadata.ownerReferences ?? []).find(
    (ref) =>
      ref.controller && ref.kind === FRACTALLBA.kind && ref.apiVersion.startsWith(`${GROUP}/`),
  );
  if (owner) return `${namespace}/${owner.name}`;

  const instance = obj.metadata.labels?.[LABELS.instance];
  return instance ? `${namespace}/${instance}` : undefined;
}
