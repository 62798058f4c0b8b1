/**
 * FractalLBA rules that span fields. Each is written twice, side by side: as CEL for the API
 * server (admission, in the CRD) and as a predicate on the resolved spec for the operator, with
 * one message for both. The CEL applies the operator's defaults inline (see `celOr`).
 */
import { celHas, celOr, type CrossFieldRule, type TransitionRule } from './cel.ts';
import type { ResolvedFractalLBASpec } from './fractallba-spec.ts';
import { FLK_DEFAULTS as D } from './fractallba-defaults.ts';
import { CERT_MANAGER_LIMITS, TLS_SOURCE_MESSAGE } from './fractallba-tls.ts';
import { celSeconds, parseDurationSeconds } from './duration.ts';

type Spec = ResolvedFractalLBASpec;

/** Seconds of an optional duration (already checked against the grammar), or `fallback`. */
function secondsOr(text: string | undefined, fallback: number): number {
  return text === undefined ? fallback : (parseDurationSeconds(text) ?? fallback);
}

/** Most pods that can run at once: maxReplicas under the HPA, else replicas. */
export function maxPods(spec: Spec): number {
  return spec.autoscaling.enabled ? spec.autoscaling.maxReplicas : spec.replicas;
}

const celMaxPods =
  `(${celOr('autoscaling.enabled', D.autoscaling.enabled)} ? ` +
  `${celOr('autoscaling.maxReplicas', D.autoscaling.maxReplicas)} : ${celOr('replicas', D.replicas)})`;

export const FRACTALLBA_RULES: readonly CrossFieldRule<Spec>[] = [
  {
    field: 'wal.accessMode',
    message:
      'a ReadWriteOnce WAL volume attaches to one node, so it cannot serve more than one replica ' +
      '(spec.replicas, or spec.autoscaling.maxReplicas when autoscaling is enabled): set ' +
      'spec.wal.accessMode to ReadWriteMany (with a storage class that supports it) or run one replica',
    cel: `${celOr('wal.accessMode', D.wal.accessMode)} == 'ReadWriteMany' || ${celMaxPods} <= 1`,
    holds: (s) => s.wal.accessMode === 'ReadWriteMany' || maxPods(s) <= 1,
  },
  {
    field: 'dedup.backend',
    message:
      'the memory dedup store lives inside one pod, so duplicates landing on different pods would ' +
      'not be recognised: with more than one replica (or autoscaling.maxReplicas above 1) use ' +
      'spec.dedup.backend redis or postgres, or run one replica',
    cel: `${celOr('dedup.backend', D.dedup.backend)} != 'memory' || ${celMaxPods} <= 1`,
    holds: (s) => s.dedup.backend !== 'memory' || maxPods(s) <= 1,
  },
  {
    field: 'autoscaling.minReplicas',
    message:
      'spec.autoscaling.minReplicas must not exceed spec.autoscaling.maxReplicas ' +
      `(defaults ${D.autoscaling.minReplicas} and ${D.autoscaling.maxReplicas}): lower minReplicas or raise maxReplicas`,
    cel:
      `${celOr('autoscaling.minReplicas', D.autoscaling.minReplicas)} <= ` +
      celOr('autoscaling.maxReplicas', D.autoscaling.maxReplicas),
    holds: (s) => s.autoscaling.minReplicas <= s.autoscaling.maxReplicas,
  },
  {
    field: 'dedup.redis',
    message:
      'spec.dedup.backend redis needs spec.dedup.redis.secretRef naming the Secret that holds the ' +
      'Redis address',
    cel: `${celOr('dedup.backend', D.dedup.backend)} != 'redis' || ${celHas('dedup.redis.secretRef')}`,
    holds: (s) => s.dedup.backend !== 'redis' || s.dedup.redis !== undefined,
  },
  {
    field: 'dedup.postgres',
    message:
      'spec.dedup.backend postgres needs spec.dedup.postgres.secretRef naming the Secret that holds ' +
      'the PostgreSQL connection string',
    cel: `${celOr('dedup.backend', D.dedup.backend)} != 'postgres' || ${celHas('dedup.postgres.secretRef')}`,
    holds: (s) => s.dedup.backend !== 'postgres' || s.dedup.postgres !== undefined,
  },
  {
    field: 'signing.keyRefs',
    message:
      'spec.signing.mode none accepts unsigned records and ignores keys, so it cannot be combined ' +
      'with spec.signing.keyRefs: remove the keyRefs or set mode to keys',
    cel:
      `${celOr('signing.mode', D.signing.mode)} != 'none' || ` +
      `!${celHas('signing.keyRefs')} || size(self.signing.keyRefs) == 0`,
    holds: (s) => s.signing.mode !== 'none' || s.signing.keyRefs.length === 0,
  },
  {
    field: 'signing.keyRefs',
    message:
      'spec.signing.mode keys (the default) needs at least one entry in spec.signing.keyRefs naming ' +
      'a SigningKey in this namespace; for development without signatures set spec.signing.mode: none',
    cel:
      `${celOr('signing.mode', D.signing.mode)} != 'keys' || ` +
      `(${celHas('signing.keyRefs')} && size(self.signing.keyRefs) > 0)`,
    holds: (s) => s.signing.mode !== 'keys' || s.signing.keyRefs.length > 0,
  },
  {
    field: 'ingress.host',
    message:
      'spec.ingress.tlsSecretName needs spec.ingress.host: a TLS certificate is served for a host ' +
      'name; set the host or remove tlsSecretName',
    cel: `!${celHas('ingress.tlsSecretName')} || ${celHas('ingress.host')}`,
    holds: (s) => s.ingress.tlsSecretName === undefined || s.ingress.host !== undefined,
  },
  {
    field: 'ingress.host',
    message:
      'spec.ingress.issuerRef needs spec.ingress.host: cert-manager issues the edge certificate for ' +
      'a host name; set the host or remove issuerRef',
    cel: `!${celHas('ingress.issuerRef')} || ${celHas('ingress.host')}`,
    holds: (s) => s.ingress.issuerRef === undefined || s.ingress.host !== undefined,
  },
  {
    field: 'tls',
    message: TLS_SOURCE_MESSAGE,
    cel: `!has(self.tls) || (has(self.tls.secretName) != has(self.tls.certificate))`,
    holds: (s) => !s.tls || (s.tls.secretName === undefined) !== (s.tls.certificate === undefined),
  },
  // cert-manager's own limits on a Certificate (its webhook refuses anything else), checked here
  // so that admission refuses the FractalLBA instead of cert-manager refusing its child later.
  {
    field: 'tls.certificate.duration',
    message:
      `spec.tls.certificate.duration must be at least 1h: cert-manager refuses a shorter ` +
      'certificate lifetime; raise it, or leave it unset for the issuer to decide',
    cel:
      `!${celHas('tls.certificate.duration')} || ` +
      `${celSeconds('self.tls.certificate.duration')} >= ${CERT_MANAGER_LIMITS.minDurationSeconds}`,
    holds: (s) =>
      secondsOr(s.tls?.certificate?.duration, Infinity) >= CERT_MANAGER_LIMITS.minDurationSeconds,
  },
  {
    field: 'tls.certificate.renewBefore',
    message:
      'spec.tls.certificate.renewBefore must be at least 5m: cert-manager refuses a shorter ' +
      'renewal window; raise it, or leave it unset',
    cel:
      `!${celHas('tls.certificate.renewBefore')} || ` +
      `${celSeconds('self.tls.certificate.renewBefore')} >= ${CERT_MANAGER_LIMITS.minRenewBeforeSeconds}`,
    holds: (s) =>
      secondsOr(s.tls?.certificate?.renewBefore, Infinity) >=
      CERT_MANAGER_LIMITS.minRenewBeforeSeconds,
  },
  {
    field: 'tls.certificate.renewBefore',
    message:
      'spec.tls.certificate.renewBefore must be shorter than spec.tls.certificate.duration ' +
      "(90d when unset, cert-manager's default): cert-manager refuses a certificate it would " +
      'renew before it is issued; lower renewBefore or raise duration',
    cel:
      `!${celHas('tls.certificate.renewBefore')} || ` +
      `${celSeconds('self.tls.certificate.renewBefore')} < ` +
      `(${celHas('tls.certificate.duration')} ? ${celSeconds('self.tls.certificate.duration')} : ` +
      `${CERT_MANAGER_LIMITS.defaultDurationSeconds})`,
    holds: (s) =>
      s.tls?.certificate?.renewBefore === undefined ||
      secondsOr(s.tls.certificate.renewBefore, 0) <
        secondsOr(s.tls.certificate.duration, CERT_MANAGER_LIMITS.defaultDurationSeconds),
  },
  {
    field: 'ingress.backendClientCertSecretName',
    message:
      'spec.tls.clientCA makes the backend require client certificates, so the Ingress controller ' +
      'must present one: set spec.ingress.backendClientCertSecretName to a kubernetes.io/tls Secret ' +
      'whose certificate the client CA bundle trusts, or turn the Ingress off',
    cel:
      `!${celHas('tls.clientCA')} || !${celOr('ingress.enabled', D.ingress.enabled)} || ` +
      celHas('ingress.backendClientCertSecretName'),
    holds: (s) =>
      !s.tls?.clientCA || !s.ingress.enabled || s.ingress.backendClientCertSecretName !== undefined,
  },
  {
    field: 'pdb',
    message:
      'a PodDisruptionBudget takes minAvailable or maxUnavailable, not both: remove one of ' +
      'spec.pdb.minAvailable and spec.pdb.maxUnavailable',
    cel: `!(${celHas('pdb.minAvailable')} && ${celHas('pdb.maxUnavailable')})`,
    holds: (s) => s.pdb.minAvailable === undefined || s.pdb.maxUnavailable === undefined,
  },
];

/** Immutable fields of the WAL claim: a PersistentVolumeClaim refuses to change them. */
export const FRACTALLBA_TRANSITION_RULES: readonly TransitionRule[] = [
  {
    field: 'wal.accessMode',
    message:
      'spec.wal.accessMode cannot change once the WAL volume exists (a PersistentVolumeClaim is ' +
      'immutable there): keep the old value, or create a new FractalLBA',
    cel:
      `${celOr('wal.accessMode', D.wal.accessMode)} == ` +
      celOr('wal.accessMode', D.wal.accessMode, 'oldSelf'),
  },
  {
    field: 'wal.storageClassName',
    message:
      'spec.wal.storageClassName cannot change once the WAL volume exists (a PersistentVolumeClaim ' +
      'is immutable there): keep the old value, or create a new FractalLBA',
    cel: `${celOr('wal.storageClassName', '')} == ` + celOr('wal.storageClassName', '', 'oldSelf'),
  },
];
