/** promtool cases of the flk-signingkeys and flk-operator groups. */
import { operatorPod, s, sk, type AlertCase } from './series.ts';

export const OPERATOR_CASES: AlertCase[] = [
  {
    name: 'a SigningKey reports Degraded for 20 minutes',
    alert: 'FlkSigningKeyDegraded',
    series: [
      {
        series: s('flk_signingkey_condition', { ...sk, condition: 'Degraded', status: 'True' }),
        values: '0x5 1x20 0x10',
      },
      {
        series: s('flk_signingkey_condition', { ...sk, condition: 'Degraded', status: 'False' }),
        values: '1x5 0x20 1x10',
      },
    ],
    quiet: ['10m'],
    fires: { at: '20m', labels: [{ ...sk, condition: 'Degraded', status: 'True' }] },
    resolved: '30m',
  },
  {
    name: 'the next rotation was due at minute 10 and nothing started for 80 minutes',
    alert: 'FlkSigningKeyRotationOverdue',
    series: [{ series: s('flk_signingkey_next_rotation_timestamp_seconds', sk), values: '600x90' }],
    quiet: ['60m'],
    fires: { at: '85m', labels: [sk] },
    resolved: '100m',
  },
  {
    name: 'a key stays Pending for 80 minutes',
    alert: 'FlkSigningKeyRotationStalled',
    series: [
      { series: s('flk_signingkey_keys', { ...sk, state: 'Pending' }), values: '0x5 1x80 0x10' },
    ],
    quiet: ['30m'],
    fires: { at: '70m', labels: [{ ...sk, state: 'Pending' }] },
    resolved: '90m',
  },
  {
    name: 'a Retiring key ends in 2 hours and the Active key is gone from minute 31 to 60',
    alert: 'FlkSigningKeyExpiringWithoutSuccessor',
    series: [
      {
        series: s('flk_signingkey_key_not_after_timestamp_seconds', {
          ...sk,
          kid: 'k2',
          state: 'Retiring',
        }),
        values: '7200x90',
      },
      { series: s('flk_signingkey_keys', { ...sk, state: 'Active' }), values: '1x30 0x30 1x30' },
    ],
    quiet: ['20m'],
    fires: { at: '40m', labels: [{ signingkey_namespace: 'ingest', signingkey: 'agents' }] },
    resolved: '70m',
  },
  {
    name: 'FractalLBA reconciles fail once a minute for an hour',
    alert: 'FlkOperatorReconcileErrors',
    series: [
      {
        series: s('flk_operator_reconcile_errors_total', {
          ...operatorPod,
          controller: 'fractallba',
        }),
        values: '0+1x60 60x40',
      },
    ],
    quiet: ['10m'],
    fires: { at: '25m', labels: [{ controller: 'fractallba' }] },
    resolved: '95m',
  },
  {
    name: 'two failed reconciles in half an hour are a blip, not an alert',
    alert: 'FlkOperatorReconcileErrors',
    series: [
      {
        series: s('flk_operator_reconcile_errors_total', {
          ...operatorPod,
          controller: 'fractallba',
        }),
        values: '0x10 1x10 2x30',
      },
    ],
    quiet: ['15m', '30m', '45m'],
  },
  {
    name: '50 SigningKeys wait in the queue for 30 minutes',
    alert: 'FlkOperatorQueueBackingUp',
    series: [
      {
        series: s('flk_operator_queue_depth', { ...operatorPod, controller: 'signingkey' }),
        values: '50x30 0x10',
      },
    ],
    quiet: ['10m'],
    fires: { at: '20m', labels: [{ controller: 'signingkey' }] },
    resolved: '35m',
  },
  {
    name: 'the leader steps down and no standby takes over for 30 minutes',
    alert: 'FlkOperatorLeaderMissing',
    series: [
      { series: s('flk_operator_leader', operatorPod), values: '1x10 0x30 1x10' },
      {
        series: s('flk_operator_leader', { ...operatorPod, instance: '10.0.9.8:8081' }),
        values: '0x50',
      },
    ],
    quiet: ['15m'],
    fires: { at: '25m', labels: [{}] },
    resolved: '45m',
  },
  {
    name: 'no operator runs at all until minute 20',
    alert: 'FlkOperatorLeaderMissing',
    series: [
      { series: s('up', operatorPod), values: '0x30' },
      { series: s('flk_operator_leader', operatorPod), values: '_x20 1x10' },
    ],
    quiet: ['5m'],
    fires: { at: '15m', labels: [{}] },
    resolved: '25m',
  },
  {
    name: 'two replicas both act as leader for 10 minutes',
    alert: 'FlkOperatorSplitBrain',
    series: [
      { series: s('flk_operator_leader', operatorPod), values: '1x30' },
      {
        series: s('flk_operator_leader', { ...operatorPod, instance: '10.0.9.8:8081' }),
        values: '0x5 1x10 0x15',
      },
    ],
    quiet: ['8m'],
    fires: { at: '12m', labels: [{}] },
    resolved: '20m',
  },
];
