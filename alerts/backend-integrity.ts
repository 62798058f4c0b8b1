/**
 * Whether the records arriving are what they should be: signatures that fail, a dedup hit ratio
 * outside its usual band (in either direction), verifier keys that do not reload.
 */
import { alert, series, type RuleGroup } from './rule-types.ts';
import { BY_BACKEND, type BackendScope } from './scope.ts';

export const DEDUP_RATIO_RECORD = 'flk:dedup_hit_ratio:rate30m';
/** Share of submissions refused for their signature above which the spike alert fires. */
export const SIGNATURE_ERROR_RATIO = 0.05;
/** Share of dedup lookups that hit above which agents are resending far more than usual. */
export const DEDUP_RATIO_HIGH = 0.5;
/** The low alert fires when the ratio falls under this part of its own day-long average. */
export const DEDUP_RATIO_DROP = 0.25;

const SIGNATURES = 'signature-spike.md';
const RATIO = 'dedup-ratio.md';
const who = '{{ $labels.namespace }}/{{ $labels.job }}';

export function integrityRules(scope: BackendScope): RuleGroup {
  const s = scope.selector;
  const byReason = `sum by (${BY_BACKEND}, reason) (rate(${series('flk_signature_errors_by_reason_total', s)}[5m]))`;
  const ingest = `sum by (${BY_BACKEND}) (rate(${series('flk_ingest_total', s)}[5m]))`;
  const ratio = series(DEDUP_RATIO_RECORD, s);
  const baseline = `avg_over_time(${ratio}[1d] offset 1h)`;

  return {
    name: 'flk-backend-integrity',
    rules: [
      {
        // Hits per lookup: a lookup happens only after the signature held, so refused records
        // do not dilute the ratio.
        record: DEDUP_RATIO_RECORD,
        expr:
          `sum by (${BY_BACKEND}) (rate(${series('flk_dedup_hits', s)}[30m]))\n/\n` +
          `sum by (${BY_BACKEND}) (rate(${series('flk_dedup_store_duration_seconds_count', s, 'op="get"')}[30m]))`,
      },
      alert(SIGNATURES, {
        alert: 'FlkSignatureFailureSpike',
        expr:
          `${byReason}\n/ on (${BY_BACKEND}) group_left\n${ingest}\n> ${SIGNATURE_ERROR_RATIO}\n` +
          `and\n${byReason} > 0.05`,
        for: '10m',
        severity: 'warning',
        summary: `FLK backend ${who}: signatures refused ({{ $labels.reason }})`,
        description:
          `Over ${SIGNATURE_ERROR_RATIO * 100} % of submissions (and more than 3 a minute) have ` +
          'been refused with 401 for 10 minutes, reason {{ $labels.reason }}: no_key (a key the ' +
          'agents sign with is not loaded here), mismatch (wrong key or altered record), ' +
          'bad_encoding (agent bug).',
      }),
      alert(RATIO, {
        alert: 'FlkDedupHitRatioHigh',
        expr: `${ratio} > ${DEDUP_RATIO_HIGH}`,
        for: '30m',
        severity: 'warning',
        summary: `FLK backend ${who}: over half of the records are duplicates`,
        description:
          `For 30 minutes over ${DEDUP_RATIO_HIGH * 100} % of verified submissions were already ` +
          'in the dedup store: agents are retrying far more than usual (timeouts, a retry loop), ' +
          'or something is replaying old records.',
      }),
      alert(RATIO, {
        alert: 'FlkDedupHitRatioLow',
        expr: `${ratio}\n< ${DEDUP_RATIO_DROP} * ${baseline}\n` + `and\n${baseline} > 0.01`,
        for: '30m',
        severity: 'warning',
        summary: `FLK backend ${who}: dedup hit ratio collapsed`,
        description:
          `The share of duplicates fell below ${DEDUP_RATIO_DROP * 100} % of its average over ` +
          'the previous day: retried records are no longer recognised. The dedup store lost its ' +
          'data (flushed, restarted without persistence, memory snapshot lost) or the TTL shrank.',
      }),
      alert(SIGNATURES, {
        alert: 'FlkKeyReloadFailing',
        // The key directories are re-read every PCS_KEYS_POLL (10 s), so a lasting problem
        // counts in every 5-minute window; a one-off torn read does not.
        expr: `sum by (${BY_BACKEND}) (increase(${series('flk_key_reload_errors_total', s)}[5m])) > 0`,
        for: '15m',
        severity: 'warning',
        summary: `FLK backend ${who} cannot read a verifier key`,
        description:
          'For 15 minutes every reload of the mounted verifier Secret found a key file it cannot ' +
          'read or parse. The keys it can read stay in use; records signed with the broken one ' +
          'are refused here.',
      }),
    ],
  };
}
