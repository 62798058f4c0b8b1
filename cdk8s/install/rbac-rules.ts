/**
 * The operator's permissions, read off its code rather than guessed. Each rule names the calls
 * that need it; `test/e2e/rbac.test.ts` runs the operator with exactly these and shows what it
 * does not get.
 *
 * Verbs, by call:
 * - informers (`operator/kube/informer-factory.ts`): `list` + `watch`, label-selected to our
 *   children except FractalLBAs, SigningKeys and Secrets;
 * - server-side apply of a child or Secret (`operator/kube/apply.ts`, `signingkey/write.ts`):
 *   `patch`, and `create` as well, because an apply that creates the object is authorised as a
 *   create by the API server;
 * - a child the label-selected cache lacks is read once before it is applied, so an object of
 *   someone else's under that name is not taken over (`fractallba/apply-children.ts`): `get`
 *   (no more than `list` already shows);
 * - prune of a child no longer rendered (`fractallba/prune.ts`) and of a detached WAL claim
 *   (`fractallba/wal-finalizer.ts`): `delete`;
 * - status (`fractallba/write-status.ts`, `signingkey/write.ts`): `patch` on `<kind>/status`;
 * - the retain-WAL finalizer (`fractallba/wal-finalizer.ts`): a merge `patch` of the FractalLBA;
 * - `update` on `<kind>/finalizers`: children carry owner references with
 *   `blockOwnerDeletion: true`, which the OwnerReferencesPermissionEnforcement admission plugin
 *   (on in OpenShift, off in a default kube-apiserver) allows only to who may update the owner's
 *   finalizers;
 * - SigningKey reconcile reads one Secret fresh before a rotation step and the import Secret
 *   (`signingkey/reconcile.ts`, `signingkey/source.ts`): `get` on Secrets;
 * - events (`operator/kube/events.ts`): `create` of core/v1 Events (not events.k8s.io);
 * - leader election (`operator/kube/lease.ts`): `get` and `update` (PUT with resourceVersion) of
 *   its own Lease, `create` of it the first time (create cannot be limited by name).
 * Discovery (`isServed`, `resourceFor`) reads `/api` and `/apis/...`, which every authenticated
 * user may read through the built-in `system:discovery` role.
 */
import { GROUP } from '../../operator/api/constants.ts';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

const CHILD_VERBS = ['get', 'list', 'watch', 'create', 'patch', 'delete'];

/** What the controllers need in every namespace they watch. */
export const WATCHED_NAMESPACE_RULES: readonly PolicyRule[] = [
  { apiGroups: [GROUP], resources: ['fractallbas', 'signingkeys'], verbs: ['list', 'watch'] },
  { apiGroups: [GROUP], resources: ['fractallbas'], verbs: ['patch'] },
  { apiGroups: [GROUP], resources: ['fractallbas/status', 'signingkeys/status'], verbs: ['patch'] },
  {
    apiGroups: [GROUP],
    resources: ['fractallbas/finalizers', 'signingkeys/finalizers'],
    verbs: ['update'],
  },
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch', 'create', 'patch'] },
  {
    apiGroups: [''],
    resources: ['serviceaccounts', 'configmaps', 'persistentvolumeclaims', 'services'],
    verbs: CHILD_VERBS,
  },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: CHILD_VERBS },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: CHILD_VERBS },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: CHILD_VERBS },
  {
    apiGroups: ['networking.k8s.io'],
    resources: ['networkpolicies', 'ingresses'],
    verbs: CHILD_VERBS,
  },
  { apiGroups: ['batch'], resources: ['cronjobs'], verbs: CHILD_VERBS },
  {
    apiGroups: ['monitoring.coreos.com'],
    resources: ['servicemonitors', 'prometheusrules'],
    verbs: CHILD_VERBS,
  },
  { apiGroups: ['cert-manager.io'], resources: ['certificates'], verbs: CHILD_VERBS },
  { apiGroups: [''], resources: ['events'], verbs: ['create'] },
];

/** Leader election, in the operator's own namespace only. */
export function leaderElectionRules(leaseName: string): PolicyRule[] {
  return [
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      verbs: ['get', 'update'],
      resourceNames: [leaseName],
    },
  ];
}

/**
 * Rules aggregated into the built-in `edit`/`admin` and `view` ClusterRoles, so that whoever may
 * edit a namespace may manage its FractalLBAs and SigningKeys (status stays the operator's).
 */
export const AGGREGATE_EDIT_RULES: readonly PolicyRule[] = [
  {
    apiGroups: [GROUP],
    resources: ['fractallbas', 'signingkeys'],
    verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'],
  },
];
export const AGGREGATE_VIEW_RULES: readonly PolicyRule[] = [
  {
    apiGroups: [GROUP],
    resources: ['fractallbas', 'signingkeys', 'fractallbas/status', 'signingkeys/status'],
    verbs: ['get', 'list', 'watch'],
  },
];
