/** The TLS row of the dashboard: certificate time left, refused handshakes, refused reloads. */
import { CERT_EXPIRY_CRITICAL_DAYS, CERT_EXPIRY_WARNING_DAYS } from '../backend-tls.ts';
import { B, RI } from './backend-rows.ts';
import type { RowSpec } from './grafana.ts';

export function tlsRows(): RowSpec[] {
  return [
    {
      title: 'TLS (backends with spec.tls)',
      panels: [
        {
          title: 'Certificate time left',
          description:
            'Until the earliest notAfter any pod serves (serving) or verifies agents with ' +
            `(client_ca). The alerts fire under ${CERT_EXPIRY_WARNING_DAYS} days (warning) and ` +
            `${CERT_EXPIRY_CRITICAL_DAYS} days (critical); a renewal makes the line jump up.`,
          unit: 's',
          queries: [
            {
              expr: `min by (cert) (flk_tls_cert_not_after_seconds{${B}}) - time()`,
              legend: '{{cert}}',
            },
          ],
        },
        {
          title: 'Refused TLS handshakes by reason',
          description:
            'client_cert_missing / client_cert_untrusted: a client without a certificate of the CA bundle (an agent with an expired or foreign certificate, or a scanner); not_tls: plain HTTP; timeout; other.',
          unit: 'cps',
          stacked: true,
          queries: [
            {
              expr: `sum by (reason) (rate(flk_tls_handshake_failures_total{${B}}[${RI}]))`,
              legend: '{{reason}}',
            },
          ],
        },
        {
          title: 'Refused TLS reloads',
          description:
            'Reloads of the mounted TLS Secret the backend refused; the previous certificate stays in force. Rises at every poll while the files are broken.',
          queries: [
            {
              expr: `sum(increase(flk_tls_reload_errors_total{${B}}[${RI}]))`,
              legend: 'refused reloads',
            },
          ],
        },
      ],
    },
  ];
}
