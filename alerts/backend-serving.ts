/**
 * The backend as a service: the availability SLO and its error budget, latency, 5xx, whether
 * Prometheus reaches it and whether it is ready, CPU and memory. Every series is one the backend
 * exports (backend/metrics.ts) except `up`, which Prometheus itself writes.
 */
import { alert, series, type RuleGroup } from './rule-types.ts';
import { BY_BACKEND, BY_POD, type BackendScope } from './scope.ts';

/** Share of submissions that must not fail with a 5xx, over 30 days. */
export const SLO_TARGET = 0.999;
export const ERROR_BUDGET = 1 - SLO_TARGET;
/** The load tests' gate, and the latency alert's threshold. */
export const LATENCY_P95_SECONDS = 0.2;
export const SUBMIT_ROUTE = '/v1/pcs/submit';

/** The windows the burn-rate alerts read (Google SRE workbook, multiwindow multi-burn-rate). */
export const BURN_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;
type Window = (typeof BURN_WINDOWS)[number];

export const errorRatioRecord = (w: Window) => `flk:submit_error_ratio:rate${w}`;

/** Burn-rate pairs: [long window, short window, burn rate]. */
const FAST: [Window, Window, number][] = [
  ['1h', '5m', 14.4],
  ['6h', '30m', 6],
];
const SLOW: [Window, Window, number][] = [
  ['1d', '2h', 3],
  ['3d', '6h', 1],
];

const RUNBOOK = 'backend-availability.md';
const RESOURCES = 'backend-resources.md';
const LATENCY = 'latency-surge.md';
const who = '{{ $labels.namespace }}/{{ $labels.job }}';
const pod = '{{ $labels.namespace }}/{{ $labels.pod }}';

/** The submit error ratio over every burn window, recorded so the alerts stay cheap. */
export function sloRecordings(scope: BackendScope): RuleGroup {
  const s = scope.selector;
  const submit = series('flk_http_responses_total', s, `route="${SUBMIT_ROUTE}"`);
  const failed = series('flk_http_responses_total', s, `route="${SUBMIT_ROUTE}"`, 'status=~"5.."');
  return {
    name: 'flk-backend-recordings',
    rules: BURN_WINDOWS.map((w) => ({
      record: errorRatioRecord(w),
      expr:
        `sum by (${BY_BACKEND}) (rate(${failed}[${w}]))\n` +
        `/\nsum by (${BY_BACKEND}) (rate(${submit}[${w}]))`,
    })),
  };
}

function burn(s: string, pairs: [Window, Window, number][]): string {
  return pairs
    .map(([long, short, rate]) => {
      const limit = round(rate * ERROR_BUDGET);
      const l = series(errorRatioRecord(long), s);
      const sh = series(errorRatioRecord(short), s);
      return `(${l} > ${limit} and ${sh} > ${limit})`;
    })
    .join('\nor\n');
}

export function servingRules(scope: BackendScope): RuleGroup {
  const s = scope.selector;
  const up = series('up', s);
  const down = `sum by (${BY_BACKEND}) (${up}) == 0`;
  const responses = (...m: string[]) => series('flk_http_responses_total', s, ...m);
  const pct = (x: number) => `${round(x * 100)} %`;

  return {
    name: 'flk-backend',
    rules: [
      alert(RUNBOOK, {
        alert: 'FlkErrorBudgetBurnFast',
        expr: burn(s, FAST),
        for: '2m',
        severity: 'critical',
        summary: `FLK backend ${who} is burning its error budget fast`,
        description:
          `Submissions failing with 5xx at 6x to 14.4x the rate the ${SLO_TARGET * 100} % SLO ` +
          'allows (1h and 6h windows, confirmed over 5m and 30m): at this pace the 30-day ' +
          'budget is gone within days. Agents are being refused now.',
      }),
      alert(RUNBOOK, {
        alert: 'FlkErrorBudgetBurnSlow',
        expr: burn(s, SLOW),
        for: '15m',
        severity: 'warning',
        summary: `FLK backend ${who} is burning its error budget`,
        description:
          `Submissions failing with 5xx at 1x to 3x the rate the ${SLO_TARGET * 100} % SLO ` +
          'allows, over 1 to 3 days. Not urgent, but the budget will not last the month.',
      }),
      alert(RUNBOOK, {
        alert: 'FlkHigh5xxRate',
        expr:
          `sum by (${BY_BACKEND}) (rate(${responses('route!="/ready"', 'status=~"5.."')}[5m]))\n` +
          `/\nsum by (${BY_BACKEND}) (rate(${responses('route!="/ready"')}[5m]))\n> 0.05`,
        for: '5m',
        severity: 'warning',
        summary: `FLK backend ${who} answers more than 5 % of requests with 5xx`,
        description:
          'For 5 minutes over 5 % of requests (readiness probes excepted) got a 5xx: 503 ' +
          'dedup_unavailable (store down or slow), 503 wal_unavailable (WAL write failed) or 500.',
      }),
      alert(RUNBOOK, {
        alert: 'FlkBackendDown',
        expr: scope.alertWhenAbsent ? `${down}\nor\nabsent(${up})` : down,
        for: '5m',
        severity: 'critical',
        summary: `FLK backend ${who} is down`,
        description:
          'Prometheus has reached no backend pod of this FractalLBA for 5 minutes (or has no ' +
          'target for it at all): agents cannot submit records.',
      }),
      alert(RUNBOOK, {
        alert: 'FlkBackendTargetDown',
        expr: `${up} == 0\nunless on (${BY_BACKEND})\n(${down})`,
        for: '10m',
        severity: 'warning',
        summary: `FLK backend pod ${pod} cannot be scraped`,
        description:
          'One backend pod has not answered /metrics for 10 minutes while others do; it is ' +
          'crash-looping, stuck, or unreachable from Prometheus.',
      }),
      alert(RUNBOOK, {
        alert: 'FlkBackendNotReady',
        expr:
          `sum by (${BY_POD}) (rate(${responses('route="/ready"', 'status!="200"')}[5m]))\n` +
          `/\nsum by (${BY_POD}) (rate(${responses('route="/ready"')}[5m]))\n> 0.5`,
        for: '5m',
        severity: 'warning',
        summary: `FLK backend pod ${pod} fails its readiness check`,
        description:
          'Most /ready probes of this pod answered 503 for 5 minutes: its dedup store does not ' +
          'answer, it has no verifier key loaded, or the start-up WAL replay has not finished. ' +
          'The Service sends it no traffic.',
      }),
      alert(LATENCY, {
        alert: 'FlkSubmitLatencyHigh',
        expr:
          'histogram_quantile(0.95,\n' +
          `  sum by (${BY_BACKEND}, le) (rate(${series('flk_http_request_duration_seconds_bucket', s, `route="${SUBMIT_ROUTE}"`)}[5m]))\n` +
          `) > ${LATENCY_P95_SECONDS}`,
        for: '10m',
        severity: 'warning',
        summary: `FLK backend ${who}: p95 submit latency above ${LATENCY_P95_SECONDS * 1000} ms`,
        description:
          `The 95th percentile of ${SUBMIT_ROUTE} has been over ${LATENCY_P95_SECONDS * 1000} ms ` +
          'for 10 minutes. The usual causes are a slow WAL disk (fsync), a slow dedup store, or ' +
          'a saturated CPU.',
      }),
      alert(RESOURCES, {
        alert: 'FlkBackendCpuSaturated',
        expr: `rate(${series('flk_process_process_cpu_seconds_total', s)}[5m]) > 0.9`,
        for: '15m',
        severity: 'warning',
        summary: `FLK backend pod ${pod} uses a full CPU core`,
        description:
          'The backend has used over 0.9 CPU seconds per second for 15 minutes. Its ingest runs ' +
          'on one event loop, so this is as fast as one pod goes: latency rises from here.',
      }),
      alert(RESOURCES, {
        alert: 'FlkBackendMemoryHigh',
        expr:
          `${series('flk_process_process_resident_memory_bytes', s)}\n/\n` +
          `${series('flk_process_memory_limit_bytes', s)}\n> 0.9`,
        for: '10m',
        severity: 'warning',
        summary: `FLK backend pod ${pod} is near its memory limit`,
        description:
          `Resident memory has been above ${pct(0.9)} of the pod's memory limit for 10 minutes; ` +
          'the kernel kills the pod at the limit.',
      }),
    ],
  };
}

/** Decimal rounding that prints 0.0144, not 0.014400000000000001. */
export function round(x: number): number {
  return Number(x.toPrecision(12));
}
