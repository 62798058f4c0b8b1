/**
 * The shape of a promtool case (alerts/tests/cases.ts) and the series the cases are built from:
 * two backend pods of one FractalLBA, an operator pod, a SigningKey. Samples are 1 minute apart.
 */
import { STATIC_BACKEND_JOB } from '../scope.ts';

export interface AlertCase {
  /** What happens, in words; the promtool test's name. */
  name: string;
  alert: string;
  series: { series: string; values: string }[];
  /** Times at which no alert of this name fires (before it is due, or never). */
  quiet: string[];
  /** The alert fires at this time, once per label set (alertname and severity added). */
  fires?: { at: string; labels: Record<string, string>[] };
  /** Time after the cause went away at which it no longer fires. */
  resolved?: string;
  /** Recording rules checked on the way: expression, time, labels and value. */
  records?: { expr: string; at: string; labels: Record<string, string>; value: number }[];
}

export const backend = { job: STATIC_BACKEND_JOB, namespace: 'ingest' };
export const podA = { ...backend, instance: '10.0.0.1:8080', pod: 'flk-prod-a' };
export const podB = { ...backend, instance: '10.0.0.2:8080', pod: 'flk-prod-b' };
export const operatorPod = {
  job: 'flk-operator',
  namespace: 'flk-system',
  instance: '10.0.9.9:8081',
};
export const sk = { ...operatorPod, signingkey_namespace: 'ingest', signingkey: 'agents' };

/** `name{labels}` in the series notation promtool reads. */
export function s(name: string, labels: Record<string, string>): string {
  const body = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  return `${name}{${body}}`;
}

export const SUBMIT = { route: '/v1/pcs/submit' };
export const responses = (labels: Record<string, string>, values: string) => ({
  series: s('flk_http_responses_total', { ...podA, ...labels }),
  values,
});

/** A histogram whose 10 observations a second are slow for 30 minutes, then fast. */
export function histogram(
  name: string,
  labels: Record<string, string>,
  bounds: string[],
  slowAbove: string,
): AlertCase['series'] {
  // Cumulative buckets: fast observations (under the first bound) count in every bucket, slow
  // ones only in the buckets above `slowAbove`.
  return [...bounds, '+Inf'].map((le) => {
    const countsSlow = le === '+Inf' || Number(le) > Number(slowAbove);
    const values = countsSlow ? '0+600x60' : '0x30 600+600x29';
    return { series: s(name, { ...podA, ...labels, le }), values };
  });
}
