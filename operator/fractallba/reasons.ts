/**
 * The constant vocabulary of FractalLBA status and events. Alerts, Argo CD health checks and
 * `kubectl get events --field-selector reason=...` match on these strings; never build one at
 * run time.
 */
export const CONDITION = {
  ready: 'Ready',
  progressing: 'Progressing',
  degraded: 'Degraded',
} as const;

export const REASON = {
  /** Every replica runs the current spec and keys and is available. */
  available: 'Available',
  /** The Deployment is rolling out (or being created); the message says what is awaited. */
  rollingOut: 'RollingOut',
  /** Rollout finished; Progressing is False with this reason. */
  rolloutComplete: 'RolloutComplete',
  /** A verifier Secret of a referenced SigningKey does not exist (yet). */
  waitingForKeys: 'WaitingForKeys',
  /** A Secret the spec references (dedup connection, metrics auth) does not exist (yet). */
  waitingForSecrets: 'WaitingForSecrets',
  /** The spec fails validation; nothing is changed until it is fixed. */
  invalidSpec: 'InvalidSpec',
  /** The API server refused a child object. */
  applyFailed: 'ApplyFailed',
  /**
   * A child needs a kind the cluster does not serve (cert-manager's Certificate, the Prometheus
   * Operator's ServiceMonitor); the message names the add-on. Looked at again periodically.
   */
  crdNotInstalled: 'CRDNotInstalled',
  /** The Deployment exceeded its progress deadline. */
  rolloutStalled: 'RolloutStalled',
  /** The Deployment cannot create pods (quota, admission, pod security). */
  replicaFailure: 'ReplicaFailure',
  /** Degraded is False with this reason when nothing is wrong. */
  asExpected: 'AsExpected',
  /** The paused annotation is set; the operator changes nothing. */
  paused: 'Paused',
} as const;

/** Event reasons for changes the operator made to children. */
export const EVENT = {
  created: 'Created',
  updated: 'Updated',
  /** A child was edited by someone else and put back. */
  reverted: 'Reverted',
  /** A child that is no longer rendered (Ingress turned off, say) was deleted. */
  pruned: 'Pruned',
  /** The WAL claim was detached so it outlives the FractalLBA (retainOnDelete). */
  walRetained: 'WALRetained',
} as const;
