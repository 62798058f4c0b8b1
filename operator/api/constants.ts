/**
 * Every name that the CRDs, the renderer, the controller and the backend must agree on. A string
 * that appears in two places is defined here once.
 */

/** API group of both custom resources. */
export const GROUP = 'flk.fractal-lba.io';
/** The one served and stored version. */
export const VERSION = 'v1alpha1';
/** `apiVersion` as written on objects. */
export const API_VERSION = `${GROUP}/${VERSION}`;

export const FRACTALLBA = {
  kind: 'FractalLBA',
  listKind: 'FractalLBAList',
  plural: 'fractallbas',
  singular: 'fractallba',
  shortNames: ['flk'],
} as const;

export const SIGNINGKEY = {
  kind: 'SigningKey',
  listKind: 'SigningKeyList',
  plural: 'signingkeys',
  singular: 'signingkey',
  shortNames: ['sk'],
} as const;

/** Field manager for every server-side apply the operator makes. */
export const FIELD_MANAGER = 'flk-operator';

/**
 * Held on a FractalLBA while `spec.wal.retainOnDelete` is true, so that the operator can detach
 * the WAL PersistentVolumeClaim (drop its owner reference) before garbage collection sees the
 * deletion, even when the delete raced a spec change the operator had not reconciled yet.
 */
export const FINALIZER_RETAIN_WAL = `${GROUP}/retain-wal`;

export const ANNOTATIONS = {
  /** `"true"` on a FractalLBA or SigningKey stops reconciling it (children are left as they are). */
  paused: `${GROUP}/paused`,
  /**
   * On a SigningKey: a new value (any string, e.g. a timestamp) requests one immediate rotation.
   * The operator records the value it acted on in `status.lastRotateRequest`, so it fires once.
   */
  rotate: `${GROUP}/rotate`,
  /** On the backend pod template: sha256 over the ConfigMap data and every key checksum. */
  checksum: `${GROUP}/checksum`,
  /**
   * On the backend pod template: the key ids of every verifier Secret it mounts, sorted and
   * comma-separated (not secret). A SigningKey promotes a Pending key only once the Deployment of
   * every consumer lists it here and has fully rolled out.
   */
  keyIds: `${GROUP}/key-ids`,
} as const;

/**
 * Labels on every child. The instance label is our own, not `app.kubernetes.io/instance`: Argo CD
 * tracks the objects of an Application by that label by default, so a child carrying it would be
 * shown as out of sync and pruned by Argo CD, which never rendered it.
 */
export const LABELS = {
  name: 'app.kubernetes.io/name',
  instance: `${GROUP}/instance`,
  managedBy: 'app.kubernetes.io/managed-by',
  component: 'app.kubernetes.io/component',
} as const;

/** Value of `app.kubernetes.io/name` on every child. */
export const APP_NAME = 'fractal-lba';

/** Labels that the operator's own pods carry (the install manifest sets them). */
export const OPERATOR_POD_LABELS = { [LABELS.name]: 'flk-operator' } as const;

/**
 * Label keys and prefixes of GitOps tools' tracking metadata. They are never copied from a
 * FractalLBA onto its children: the tool would then claim objects it never applied.
 */
export const TRACKING_LABEL_KEYS = ['app.kubernetes.io/instance'] as const;
export const TRACKING_PREFIXES = [
  'argocd.argoproj.io/',
  'kustomize.toolkit.fluxcd.io/',
  'helm.toolkit.fluxcd.io/',
] as const;

/** Fixed facts of the backend image and its pod. */
export const BACKEND = {
  port: 8080,
  portName: 'http',
  servicePort: 80,
  /** The ingest listener when spec.tls is set (HTTPS, optionally mTLS). */
  tlsPort: 8443,
  tlsPortName: 'https',
  tlsServicePort: 443,
  /** Plain-HTTP listener for /health, /ready and /metrics: kubelet and Prometheus have no client certificate. */
  adminPort: 9090,
  adminPortName: 'admin',
  tlsDir: '/etc/flk/tls',
  clientCADir: '/etc/flk/client-ca',
  user: 10001,
  keysRoot: '/etc/flk/keys',
  walDir: '/var/lib/flk/wal',
  tmpDir: '/tmp',
  healthPath: '/health',
  readyPath: '/ready',
  metricsPath: '/metrics',
  ingestPathPrefix: '/v1/pcs',
  containerName: 'backend',
  walCli: 'dist/js/backend/wal/cli.js',
} as const;

/** The backend's environment contract (DESIGN §3): the variables the renderer sets. */
export const BACKEND_ENV = {
  port: 'PORT',
  host: 'HOST',
  signAlg: 'PCS_SIGN_ALG',
  keysDir: 'PCS_KEYS_DIR',
  dedupBackend: 'DEDUP_BACKEND',
  dedupTtl: 'DEDUP_TTL',
  dedupSnapshot: 'DEDUP_SNAPSHOT',
  redisAddr: 'REDIS_ADDR',
  postgresConn: 'POSTGRES_CONN',
  walDir: 'WAL_DIR',
  walRetention: 'WAL_RETENTION',
  tokenRate: 'TOKEN_RATE',
  tokenBurst: 'TOKEN_BURST',
  verifyTolD: 'VERIFY_TOL_D',
  verifyTolCoh: 'VERIFY_TOL_COH',
  verifyAlpha: 'VERIFY_ALPHA',
  verifyBeta: 'VERIFY_BETA',
  verifyGamma: 'VERIFY_GAMMA',
  verifyBase: 'VERIFY_BASE',
  verifyD0: 'VERIFY_D0',
  metricsUser: 'METRICS_USER',
  metricsPass: 'METRICS_PASS',
  logLevel: 'LOG_LEVEL',
  podName: 'POD_NAME',
  adminPort: 'ADMIN_PORT',
  tlsCertFile: 'TLS_CERT_FILE',
  tlsKeyFile: 'TLS_KEY_FILE',
  tlsClientCAFile: 'TLS_CLIENT_CA_FILE',
} as const;

/** Data keys of a kubernetes.io/tls Secret (spec.tls.secretName, or cert-manager's). */
export const TLS_SECRET_KEYS = { cert: 'tls.crt', key: 'tls.key' } as const;

/** Data keys of the metrics Basic Auth Secret (`spec.metrics.basicAuthSecretRef`). */
export const BASIC_AUTH_KEYS = { username: 'username', password: 'password' } as const;

/** Default name of the Secrets the operator writes for a SigningKey (status names the real ones). */
export const signerSecretName = (signingKey: string): string => `${signingKey}-signer`;
export const verifierSecretName = (signingKey: string): string => `${signingKey}-verifier`;

/** Image the backend runs when `spec.image` is unset. */
export const DEFAULT_BACKEND_IMAGE = 'ghcr.io/fractal-lba/flk-backend:0.1.0';
