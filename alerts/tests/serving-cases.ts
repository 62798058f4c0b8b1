/** promtool cases of the flk-backend group: SLO burn, 5xx, down, not ready, latency, CPU, memory. */
import { STATIC_BACKEND_JOB } from '../scope.ts';
import { backend, histogram, podA, podB, responses, s, SUBMIT, type AlertCase } from './series.ts';

export const SERVING_CASES: AlertCase[] = [
  {
    name: '2 % of submissions fail: the fast burn fires, and resolves once the 30m window is clean',
    alert: 'FlkErrorBudgetBurnFast',
    series: [
      responses({ ...SUBMIT, status: '200' }, '0+588x120'),
      responses({ ...SUBMIT, status: '503' }, '0+12x60 720x60'),
    ],
    quiet: ['1m'],
    fires: { at: '10m', labels: [backend] },
    resolved: '100m',
    records: [{ expr: 'flk:submit_error_ratio:rate5m', at: '10m', labels: backend, value: 0.02 }],
  },
  {
    name: '0.5 % of submissions fail for 3 hours: the slow burn fires, the fast one does not',
    alert: 'FlkErrorBudgetBurnSlow',
    series: [
      responses({ ...SUBMIT, status: '200' }, '0+995x600'),
      responses({ ...SUBMIT, status: '503' }, '0+5x180 900x420'),
    ],
    quiet: ['5m'],
    fires: { at: '20m', labels: [backend] },
    resolved: '560m',
  },
  {
    name: '10 % of requests get 503 for 15 minutes; failing readiness probes are not counted',
    alert: 'FlkHigh5xxRate',
    series: [
      responses({ ...SUBMIT, status: '200' }, '0+540x30'),
      responses({ ...SUBMIT, status: '503' }, '0+60x15 900x15'),
      responses({ route: '/ready', status: '503' }, '0+12x30'),
    ],
    quiet: ['3m'],
    fires: { at: '10m', labels: [backend] },
    resolved: '25m',
  },
  {
    name: 'the only backend pod stops answering scrapes for 20 minutes',
    alert: 'FlkBackendDown',
    series: [{ series: s('up', podA), values: '1x5 0x20 1x10' }],
    quiet: ['8m'],
    fires: { at: '15m', labels: [backend] },
    resolved: '30m',
  },
  {
    name: 'no target of the backend job exists at all until minute 20',
    alert: 'FlkBackendDown',
    series: [
      { series: s('up', { ...podA, job: 'something-else' }), values: '1x30' },
      { series: s('up', podA), values: '_x20 1x10' },
    ],
    quiet: ['2m'],
    fires: { at: '10m', labels: [{ job: STATIC_BACKEND_JOB }] },
    resolved: '25m',
  },
  {
    name: 'one of two pods cannot be scraped for 20 minutes',
    alert: 'FlkBackendTargetDown',
    series: [
      { series: s('up', podA), values: '1x35' },
      { series: s('up', podB), values: '1x5 0x20 1x10' },
    ],
    quiet: ['10m'],
    fires: { at: '20m', labels: [podB] },
    resolved: '30m',
  },
  {
    name: 'every readiness probe of a pod answers 503 for 20 minutes',
    alert: 'FlkBackendNotReady',
    series: [
      responses({ route: '/ready', status: '503' }, '0+12x20 240x20'),
      responses({ route: '/ready', status: '200' }, '0x20 12+12x19'),
    ],
    quiet: ['3m'],
    fires: { at: '10m', labels: [podA] },
    resolved: '30m',
  },
  {
    name: 'submissions take 250-500 ms for 30 minutes, then under 100 ms',
    alert: 'FlkSubmitLatencyHigh',
    series: histogram(
      'flk_http_request_duration_seconds_bucket',
      { ...SUBMIT, method: 'POST', status: '200' },
      ['0.1', '0.25', '0.5'],
      '0.25',
    ),
    quiet: ['5m'],
    fires: { at: '20m', labels: [backend] },
    resolved: '45m',
  },
  {
    name: 'a pod uses 0.95 CPU cores for 30 minutes',
    alert: 'FlkBackendCpuSaturated',
    series: [
      { series: s('flk_process_process_cpu_seconds_total', podA), values: '0+57x30 1710+6x30' },
    ],
    quiet: ['10m'],
    fires: { at: '20m', labels: [podA] },
    resolved: '40m',
  },
  {
    name: 'a pod holds 95 % of its memory limit for 30 minutes',
    alert: 'FlkBackendMemoryHigh',
    series: [
      { series: s('flk_process_process_resident_memory_bytes', podA), values: '950x30 500x20' },
      { series: s('flk_process_memory_limit_bytes', podA), values: '1000x50' },
    ],
    quiet: ['5m'],
    fires: { at: '15m', labels: [podA] },
    resolved: '40m',
  },
];
