/**
 * The operator's own health (operator/runtime/metrics.ts) and the state of the SigningKeys it
 * rotates (operator/runtime/signingkey-metrics.ts).
 */
import { alert, series, type RuleGroup } from './rule-types.ts';
import type { SigningKeyScope } from './scope.ts';

const KEYS = 'key-rotation-stalled.md';
const RECONCILE = 'operator-reconcile-errors.md';
const sk = '{{ $labels.signingkey_namespace }}/{{ $labels.signingkey }}';
const BY_SK = 'signingkey_namespace, signingkey';

/** A rotation this long past status.nextRotationTime without a Pending key is stalled. */
export const ROTATION_GRACE_SECONDS = 3600;
/** Warn this long before the last key that verifies leaves the verifier set. */
export const EXPIRY_WARNING_SECONDS = 86400;

export function signingKeyRules(scope: SigningKeyScope): RuleGroup {
  const k = scope.selector;
  return {
    name: 'flk-signingkeys',
    rules: [
      alert(KEYS, {
        alert: 'FlkSigningKeyDegraded',
        expr: `${series('flk_signingkey_condition', k, 'condition="Degraded"', 'status="True"')} == 1`,
        for: '10m',
        severity: 'warning',
        summary: `SigningKey ${sk} is Degraded`,
        description:
          'The SigningKey has reported Degraded for 10 minutes: a consumer did not roll out the ' +
          'Pending key in time, the overlap is shorter than a dedup TTL, the import Secret is ' +
          'missing or bad, or key material was removed. Its Degraded condition says which.',
      }),
      alert(KEYS, {
        alert: 'FlkSigningKeyRotationOverdue',
        expr: `time() - ${series('flk_signingkey_next_rotation_timestamp_seconds', k)} > ${ROTATION_GRACE_SECONDS}`,
        for: '10m',
        severity: 'warning',
        summary: `SigningKey ${sk}: rotation did not start`,
        description:
          'status.nextRotationTime passed over an hour ago and no new key is Pending: the ' +
          'rotation is held (see Degraded), reconciliation is paused, or the operator is not ' +
          'running. The Active key keeps signing past its interval.',
      }),
      alert(KEYS, {
        alert: 'FlkSigningKeyRotationStalled',
        expr: `${series('flk_signingkey_keys', k, 'state="Pending"')} > 0`,
        for: '1h',
        severity: 'warning',
        summary: `SigningKey ${sk}: a key has been Pending for an hour`,
        description:
          'A new key was added to the verifier Secret over an hour ago and is still not ' +
          'promoted: some FractalLBA using this SigningKey has not rolled it out. Agents keep ' +
          'signing with the old key, which is safe, but the rotation does not finish.',
      }),
      alert(KEYS, {
        alert: 'FlkSigningKeyExpiringWithoutSuccessor',
        expr:
          `min by (${BY_SK}) (${series('flk_signingkey_key_not_after_timestamp_seconds', k)}) - time() < ${EXPIRY_WARNING_SECONDS}\n` +
          `unless on (${BY_SK})\n(${series('flk_signingkey_keys', k, 'state="Active"')} > 0)`,
        severity: 'critical',
        summary: `SigningKey ${sk}: a key stops verifying within a day and none replaces it`,
        description:
          'A key still in the verifier Secret reaches its notAfter within 24 hours and the ' +
          'SigningKey has no Active key: after that, records signed with it get 401 and no ' +
          'agent has a key that backends accept.',
      }),
    ],
  };
}

export function operatorRules(): RuleGroup {
  const leader = series('flk_operator_leader');
  return {
    name: 'flk-operator',
    rules: [
      alert(RECONCILE, {
        alert: 'FlkOperatorReconcileErrors',
        // Failed keys come back with backoff up to 5 minutes, so one stuck object alone
        // makes about 6 errors in 30 minutes; a short blip makes fewer.
        expr: `sum by (controller) (increase(${series('flk_operator_reconcile_errors_total')}[30m])) > 3`,
        for: '15m',
        severity: 'warning',
        summary: 'FLK operator: {{ $labels.controller }} reconciles keep failing',
        description:
          'The {{ $labels.controller }} controller has kept failing reconciles (retried with ' +
          'backoff) for 15 minutes. Changes to those objects are not applied; the operator log ' +
          'names them.',
      }),
      alert(RECONCILE, {
        alert: 'FlkOperatorQueueBackingUp',
        expr: `max by (controller) (${series('flk_operator_queue_depth')}) > 20`,
        for: '15m',
        severity: 'warning',
        summary: 'FLK operator: {{ $labels.controller }} work queue is not draining',
        description:
          'More than 20 objects have waited in the {{ $labels.controller }} work queue for 15 ' +
          'minutes: reconciles are slow (API server latency, a hanging call) or the workers ' +
          'are stuck.',
      }),
      alert(RECONCILE, {
        alert: 'FlkOperatorLeaderMissing',
        expr: `sum(${leader}) < 1\nor\nabsent(${leader})`,
        for: '10m',
        severity: 'warning',
        summary: 'FLK operator: no replica holds the leader lease',
        description:
          'No operator replica has reconciled anything for 10 minutes (none is leader, or none ' +
          'runs). Backends keep serving, but spec changes, key rotations and status stand still.',
      }),
      alert(RECONCILE, {
        alert: 'FlkOperatorSplitBrain',
        expr: `sum(${leader}) > 1`,
        for: '5m',
        severity: 'critical',
        summary: 'FLK operator: more than one replica acts as leader',
        description:
          'Several operator replicas reconcile at once (leader election off with more than one ' +
          'replica, or a broken lease). Two replicas may rotate the same SigningKey differently.',
      }),
    ],
  };
}
