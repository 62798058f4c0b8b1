/**
 * The backend's HTTPS/mTLS material (docs/tls.md): the serving certificate and the client CA
 * bundle nearing their notAfter, and reloads of the mounted TLS Secret that are refused. A
 * backend without TLS exports no `flk_tls_cert_not_after_seconds`, so the expiry alerts stay
 * silent for it; its reload counter stays at 0.
 *
 * Refused handshakes (`flk_tls_handshake_failures_total`) are on the dashboard but not alerted
 * on: without a count of accepted handshakes there is no ratio to judge them by, and their
 * absolute rate depends on the number of agents, their retry backoff and whether scanners reach
 * the port, none of which the rules know.
 */
import { alert, series, type RuleGroup } from './rule-types.ts';
import { BY_BACKEND, type BackendScope } from './scope.ts';

const TLS = 'tls-certificates.md';
const who = '{{ $labels.namespace }}/{{ $labels.job }}';
const DAY = 86400;

/**
 * Days before the earliest notAfter at which the warning and the critical alert fire. The
 * warning sits below what cert-manager leaves by default (a third of the duration: 30 days of
 * 90) and below the 15d renewBefore of examples/fractallba-mtls.yaml, so a renewal that works
 * never reaches it.
 */
export const CERT_EXPIRY_WARNING_DAYS = 14;
export const CERT_EXPIRY_CRITICAL_DAYS = 2;

export function tlsRules(scope: BackendScope): RuleGroup {
  const s = scope.selector;
  // The earliest notAfter any pod of the FractalLBA serves or verifies with: a pod whose reload
  // was refused keeps the older certificate and is the one that decides.
  const left =
    `min by (${BY_BACKEND}, cert) (${series('flk_tls_cert_not_after_seconds', s)})\n` + '- time()';
  const expiring = (days: number) => `${left}\n< ${days} * ${DAY}`;

  return {
    name: 'flk-backend-tls',
    rules: [
      alert(TLS, {
        alert: 'FlkTlsCertificateExpiringSoon',
        expr: expiring(CERT_EXPIRY_WARNING_DAYS),
        for: '1h',
        severity: 'warning',
        summary: `FLK backend ${who}: TLS {{ $labels.cert }} certificate expires within ${CERT_EXPIRY_WARNING_DAYS} days`,
        description:
          'A certificate of the {{ $labels.cert }} file in force (serving: the chain the ' +
          'backend presents; client_ca: the bundle agents are verified against) reaches its ' +
          `notAfter within ${CERT_EXPIRY_WARNING_DAYS} days and has not been replaced: the ` +
          'renewal did not happen, or the backend refused the renewed files.',
      }),
      alert(TLS, {
        alert: 'FlkTlsCertificateExpiryCritical',
        expr: expiring(CERT_EXPIRY_CRITICAL_DAYS),
        for: '10m',
        severity: 'critical',
        summary: `FLK backend ${who}: TLS {{ $labels.cert }} certificate expires within ${CERT_EXPIRY_CRITICAL_DAYS} days`,
        description:
          'A certificate of the {{ $labels.cert }} file in force expires within ' +
          `${CERT_EXPIRY_CRITICAL_DAYS} days, or already has. Then agents refuse the serving ` +
          'certificate, or the backend refuses every agent certificate of that CA, in the ' +
          'handshake: no record gets in.',
      }),
      alert(TLS, {
        alert: 'FlkTlsReloadFailing',
        // A refused reload repeats at every TLS_POLL (10 s) until the files are fixed, so a
        // broken mount counts in every 5-minute window; a read torn by one swap is retried
        // inside the reload and never counted.
        expr: `sum by (${BY_BACKEND}) (increase(${series('flk_tls_reload_errors_total', s)}[5m])) > 0`,
        for: '15m',
        severity: 'warning',
        summary: `FLK backend ${who} refuses its new TLS files`,
        description:
          'For 15 minutes every reload of the mounted TLS Secret found files the backend will ' +
          'not use (unreadable, not PEM, key and certificate not matching, or an expired ' +
          'certificate). The previous certificate stays in force until it expires.',
      }),
    ],
  };
}
