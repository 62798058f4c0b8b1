/** FractalLBA spec section about transport security of the backend: serving TLS and mTLS. */
import { z } from 'zod';
import { DNS_SUBDOMAIN, dataKey, duration, objectName } from './common.ts';
import { FLK_DEFAULTS as D } from './fractallba-defaults.ts';

export const CERT_MANAGER_GROUP = 'cert-manager.io';

/**
 * What cert-manager's webhook accepts in a Certificate (its MinimumCertificateDuration,
 * MinimumRenewBefore and DefaultCertificateDuration), so that admission of the FractalLBA refuses
 * what cert-manager would refuse in the Certificate rendered from it.
 */
export const CERT_MANAGER_LIMITS = {
  minDurationSeconds: 3_600,
  minRenewBeforeSeconds: 300,
  defaultDurationSeconds: 90 * 86_400,
} as const;

export const IssuerRef = z
  .object({
    name: objectName('Name of the issuer.'),
    kind: z
      .string()
      .min(1)
      .max(63)
      .regex(/^[A-Z][A-Za-z0-9]*$/, { error: 'must be a kind such as Issuer or ClusterIssuer' })
      .default(D.tls.issuerKind)
      .describe(
        `Kind of the issuer: Issuer (same namespace) or ClusterIssuer, or an external issuer's kind. Default: ${D.tls.issuerKind}.`,
      ),
    group: z
      .string()
      .min(1)
      .max(253)
      .regex(DNS_SUBDOMAIN, { error: 'must be an API group such as cert-manager.io' })
      .default(CERT_MANAGER_GROUP)
      .describe(`API group of the issuer. Default: ${CERT_MANAGER_GROUP}.`),
  })
  .describe('A cert-manager issuer reference, as in a Certificate.');

const dnsName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
    error: 'must be a DNS name such as flk.example.com',
  });

const Certificate = z
  .object({
    issuerRef: IssuerRef,
    dnsNames: z
      .array(dnsName)
      // cert-manager refuses a Certificate without any name; leave the field unset for the default.
      .min(1, {
        error: 'must name at least one DNS name; leave dnsNames unset for the Service names',
      })
      .max(32)
      .optional()
      .describe(
        'DNS names of the serving certificate. Default: the Service names <name>, <name>.<namespace>, <name>.<namespace>.svc and <name>.<namespace>.svc.cluster.local.',
      ),
    // Their lower bounds (cert-manager's: 1h and 5m) are rules of the spec, with renewBefore's
    // bound by duration (fractallba-rules.ts).
    duration: duration(
      'Requested lifetime of the certificate, at least 1h. Unset: the issuer decides.',
    ).optional(),
    renewBefore: duration(
      'How long before expiry cert-manager renews it: at least 5m and less than duration (90d when unset). Unset: a third of the lifetime.',
    ).optional(),
  })
  .describe(
    'Have cert-manager issue the serving certificate: the operator creates a Certificate <name>-tls (and keeps it converged) whose Secret <name>-tls the backend mounts. Needs cert-manager; without its CRDs the FractalLBA is Degraded.',
  );

const ClientCA = z
  .object({
    secretName: objectName(
      'Secret (same namespace) holding the PEM bundle of CAs whose client certificates are accepted.',
    ),
    key: dataKey('Data key of the bundle in that Secret.').default(D.tls.clientCAKey),
  })
  .describe(
    'Require client certificates (mTLS) on the ingest port: a client without a certificate from one of these CAs fails the TLS handshake and nothing of its request is recorded. Health and metrics stay on the plain admin port for kubelet and Prometheus. The bundle is reloaded live.',
  );

export const Tls = z
  .object({
    secretName: objectName(
      'Secret (type kubernetes.io/tls, same namespace) with tls.crt and tls.key for the backend to serve; reloaded live when it changes. Set this or certificate.',
    ).optional(),
    certificate: Certificate.optional(),
    clientCA: ClientCA.optional(),
  })
  .describe(
    'Serve the ingest API over HTTPS (port 8443, Service port 443), optionally with mTLS. Unset: plain HTTP on port 8080 (Service port 80).',
  );

/** The rules inside spec.tls, also used by the operator on the resolved spec. */
export const TLS_SOURCE_MESSAGE =
  'spec.tls needs exactly one source for the serving certificate: secretName (a kubernetes.io/tls Secret you manage) or certificate (cert-manager issues it)';
