/**
 * The FractalLBA spec: one zod schema that gives the operator its types, validation and
 * defaults, and that `crd.ts` turns into the CRD's OpenAPI schema. Every field carries its
 * `kubectl explain` text; defaults live in {@link FLK_DEFAULTS} and are applied by the operator,
 * never by the API server.
 */
import { z } from 'zod';
import { dataKey, duration, objectName } from './common.ts';
import { crdMeta } from './cel.ts';
import { FLK_DEFAULTS } from './fractallba-defaults.ts';
import { Ingress, Metrics, NetworkPolicy } from './fractallba-exposure.ts';
import { Tls } from './fractallba-tls.ts';
import { Autoscaling, Pdb, Resources, TopologySpread, replicaCount } from './fractallba-pods.ts';

export { FLK_DEFAULTS } from './fractallba-defaults.ts';

const D = FLK_DEFAULTS;

const tolerance = (description: string, fallback: number) =>
  z
    .number()
    .min(0)
    .max(10)
    .default(fallback)
    .describe(
      `${description} A plain number (type: number; YAML floats such as 0.15), from 0 to 10.`,
    );

const KeyRef = z
  .object({ name: objectName('Name of a SigningKey in the same namespace.') })
  .describe('A SigningKey whose verifier Secret the backend loads.');

const Signing = z
  .object({
    mode: z
      .enum(['keys', 'none'])
      .default(D.signing.mode)
      .describe(
        'keys: verify every record against the keys of spec.signing.keyRefs. none: accept unsigned records (development only; the backend runs with PCS_SIGN_ALG=none).',
      ),
    keyRefs: crdMeta(
      z
        .array(KeyRef)
        .max(8)
        .default([])
        .describe(
          'SigningKeys to verify with, at most 8; each is mounted as a directory under /etc/flk/keys/<name>. Required (at least one) when mode is keys; must be empty when mode is none. Default: empty.',
        ),
      { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
    ),
  })
  .describe('How the backend verifies record signatures.');

const SecretKeyRef = (what: string, defaultKey: string) =>
  z
    .object({
      name: objectName(`Name of the Secret (same namespace) that holds ${what}.`),
      key: dataKey(`Data key in that Secret holding ${what}.`).default(defaultKey),
    })
    .describe(`Secret holding ${what}; injected with secretKeyRef, never copied into a ConfigMap.`);

const Dedup = z
  .object({
    backend: z
      .enum(['memory', 'redis', 'postgres'])
      .default(D.dedup.backend)
      .describe(
        'Where the first outcome per pcs_id is stored. memory: in the pod, with a snapshot file on the WAL volume; it cannot be shared, so it allows one replica only. redis or postgres: shared by every replica.',
      ),
    ttl: duration(
      'How long an outcome is remembered, so retries get the same answer. Should not exceed the overlap of the SigningKeys in use.',
      { positive: true },
    ).default(D.dedup.ttl),
    redis: z
      .object({
        secretRef: SecretKeyRef('the Redis address (host:port or redis:// URL)', D.dedup.redisKey),
      })
      .optional()
      .describe('Redis connection; required when backend is redis.'),
    postgres: z
      .object({
        secretRef: SecretKeyRef(
          'the PostgreSQL connection string (postgresql:// URI)',
          D.dedup.postgresKey,
        ),
      })
      .optional()
      .describe(
        'PostgreSQL connection; required when backend is postgres. The default key matches the `uri` key of CloudNativePG app Secrets.',
      ),
  })
  .describe('The deduplication store.');

const Wal = z
  .object({
    size: z
      .string()
      .max(32)
      .regex(/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/, {
        error: 'must be a size such as 512Mi or 10Gi',
      })
      .default(D.wal.size)
      .describe(
        'Requested size of the WAL PersistentVolumeClaim, a quantity in bytes (e.g. 512Mi, 10Gi). Can grow where the storage class allows expansion; never shrink.',
      ),
    storageClassName: objectName(
      'StorageClass of the WAL volume; unset uses the cluster default. Immutable once the claim exists.',
    ).optional(),
    accessMode: z
      .enum(['ReadWriteOnce', 'ReadWriteMany'])
      .default(D.wal.accessMode)
      .describe(
        'ReadWriteOnce: one replica only (the volume attaches to one node; pods roll with Recreate). ReadWriteMany: several replicas share the volume, each writing under a folder named after its pod. Immutable once the claim exists.',
      ),
    retention: duration('How long closed WAL segments are kept before compaction deletes them.', {
      positive: true,
    }).default(D.wal.retention),
    compactionSchedule: z
      .string()
      .max(64)
      .regex(/^\S+ \S+ \S+ \S+ \S+$/, {
        error: 'must be a five-field cron expression such as "17 * * * *"',
      })
      .default(D.wal.compactionSchedule)
      .describe(
        'Cron schedule (five fields, in the controller-manager time zone) of the WAL compaction CronJob.',
      ),
    retainOnDelete: z
      .boolean()
      .default(D.wal.retainOnDelete)
      .describe(
        'Keep the WAL PersistentVolumeClaim when the FractalLBA is deleted (it then carries no owner reference, so garbage collection leaves it).',
      ),
  })
  .describe(
    'The write-ahead log volume, where every request body is recorded before it is parsed.',
  );

const RateLimit = z
  .object({
    tokensPerSecond: z
      .int()
      .min(0)
      .max(1_000_000)
      .default(D.rateLimit.tokensPerSecond)
      .describe(
        'Token-bucket refill rate per pod, in requests per second; 0 turns rate limiting off.',
      ),
    burst: z
      .int()
      .min(1)
      .max(1_000_000)
      .default(D.rateLimit.burst)
      .describe('Token-bucket size per pod, in requests: how many can arrive at once.'),
  })
  .describe(
    'Per-pod rate limit of the ingest endpoint; over it the backend answers 429 with Retry-After.',
  );

const Verify = z
  .object({
    tolD: tolerance(
      'Largest accepted difference between the claimed and the recomputed D_hat.',
      D.verify.tolD,
    ),
    tolCoh: tolerance('How far above 1 coh_star may go.', D.verify.tolCoh),
    alpha: tolerance('Budget weight of (1 - r).', D.verify.alpha),
    beta: tolerance('Budget weight of max(0, D_hat - d0).', D.verify.beta),
    gamma: tolerance('Budget weight of coh_star.', D.verify.gamma),
    base: tolerance('Budget base term.', D.verify.base),
    d0: tolerance('Dimension threshold D0 of the budget formula.', D.verify.d0),
  })
  .describe('Tolerances and budget weights of the signal checks that follow a valid signature.');

export const FractalLBASpecSchema = z
  .object({
    image: z.string().min(1).max(512).default(D.image).describe('Backend container image.'),
    replicas: replicaCount(
      'Number of backend pods when autoscaling is off. More than 1 needs a shared dedup store (redis or postgres) and a ReadWriteMany WAL volume.',
    ).default(D.replicas),
    logLevel: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace'])
      .default(D.logLevel)
      .describe('Backend log level.'),
    autoscaling: Autoscaling.prefault({}),
    resources: Resources.prefault({}),
    signing: Signing.prefault({}),
    dedup: Dedup.prefault({}),
    wal: Wal.prefault({}),
    rateLimit: RateLimit.prefault({}),
    verify: Verify.prefault({}),
    metrics: Metrics.prefault({}),
    tls: Tls.optional(),
    ingress: Ingress.prefault({}),
    networkPolicy: NetworkPolicy.prefault({}),
    pdb: Pdb.prefault({}),
    topologySpread: TopologySpread.prefault({}),
  })
  .describe(
    'Desired state of a FLK ingest backend. Pods always run with the restricted pod security profile. Pause reconciling with the annotation flk.fractal-lba.io/paused: "true".',
  );

/** A FractalLBA spec as written (every field optional where it has a default). */
export type FractalLBASpec = z.input<typeof FractalLBASpecSchema>;
/** A FractalLBA spec with every default applied, as the renderer takes it. */
export type ResolvedFractalLBASpec = z.output<typeof FractalLBASpecSchema>;
