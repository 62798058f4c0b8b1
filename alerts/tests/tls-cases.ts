/** promtool cases of the flk-backend-tls group: certificate expiry, refused reloads. */
import { backend, podA, podB, s, type AlertCase } from './series.ts';

// promtool starts every test at unix time 0, so a notAfter of N is N seconds away.
const DAY = 86400;
/** A freshly renewed 90-day certificate. */
const RENEWED = 90 * DAY;
const cert = (name: 'serving' | 'client_ca', labels = podA) => ({ ...labels, cert: name });

export const TLS_CASES: AlertCase[] = [
  {
    name: 'the serving certificate has 14 days and 30 minutes left and is renewed after 3 hours',
    alert: 'FlkTlsCertificateExpiringSoon',
    series: [
      {
        series: s('flk_tls_cert_not_after_seconds', cert('serving')),
        values: `${14 * DAY + 1800}x180 ${RENEWED}x60`,
      },
      {
        series: s('flk_tls_cert_not_after_seconds', cert('client_ca')),
        values: `${300 * DAY}x240`,
      },
    ],
    // Under 14 days from minute 31, so pending until minute 91.
    quiet: ['20m', '80m'],
    fires: { at: '120m', labels: [{ ...backend, cert: 'serving' }] },
    resolved: '200m',
  },
  {
    name: 'one pod of two refused the renewed certificate: its older one keeps the warning up',
    alert: 'FlkTlsCertificateExpiringSoon',
    series: [
      {
        series: s('flk_tls_cert_not_after_seconds', cert('serving')),
        values: `${10 * DAY}x60 ${RENEWED}x120`,
      },
      {
        series: s('flk_tls_cert_not_after_seconds', cert('serving', podB)),
        values: `${10 * DAY}x120 ${RENEWED}x60`,
      },
    ],
    quiet: ['30m'],
    fires: { at: '90m', labels: [{ ...backend, cert: 'serving' }] },
    resolved: '150m',
  },
  {
    name: 'the client CA bundle has 2 days and 10 minutes left; a new bundle is mounted at minute 40',
    alert: 'FlkTlsCertificateExpiryCritical',
    series: [
      {
        series: s('flk_tls_cert_not_after_seconds', cert('client_ca')),
        values: `${2 * DAY + 600}x40 ${RENEWED}x20`,
      },
      {
        series: s('flk_tls_cert_not_after_seconds', cert('serving')),
        values: `${RENEWED}x60`,
      },
    ],
    // Under 2 days from minute 11, so pending until minute 21.
    quiet: ['5m', '15m'],
    fires: { at: '30m', labels: [{ ...backend, cert: 'client_ca' }] },
    resolved: '50m',
  },
  {
    name: 'a serving certificate 10 days from its end warns but does not page',
    alert: 'FlkTlsCertificateExpiryCritical',
    series: [
      {
        series: s('flk_tls_cert_not_after_seconds', cert('serving')),
        values: `${10 * DAY}x120`,
      },
    ],
    quiet: ['30m', '120m'],
  },
  {
    name: 'every poll refuses the mounted TLS files for 30 minutes',
    alert: 'FlkTlsReloadFailing',
    series: [{ series: s('flk_tls_reload_errors_total', podA), values: '0+6x30 180x20' }],
    quiet: ['10m'],
    fires: { at: '20m', labels: [backend] },
    resolved: '45m',
  },
  {
    name: 'one refused reload, fixed by the next write of the Secret, does not alert',
    alert: 'FlkTlsReloadFailing',
    series: [{ series: s('flk_tls_reload_errors_total', podA), values: '0x5 1x40' }],
    quiet: ['10m', '20m', '30m'],
  },
];
