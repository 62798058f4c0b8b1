/**
 * Building blocks shared by both custom resources. Each helper returns a zod schema carrying the
 * `description` that becomes `kubectl explain` text and, where the API server must check more
 * than a type, the CEL rule (`x-kubernetes-validations`) that `crd.ts` writes into the CRD.
 */
import { z } from 'zod';
import { crdMeta } from './cel.ts';
import {
  DURATION_HINT,
  DURATION_MAX_LENGTH,
  DURATION_PATTERN,
  celSeconds,
  parseDurationSeconds,
} from './duration.ts';

export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Name of an object in the same namespace (DNS-1123 subdomain). */
export function objectName(description: string) {
  return z
    .string()
    .min(1)
    .max(253)
    .regex(DNS_SUBDOMAIN, { error: 'must be a lower-case DNS name such as my-secret' })
    .describe(description);
}

/** Data key inside a Secret or ConfigMap. */
export function dataKey(description: string) {
  return z
    .string()
    .min(1)
    .max(253)
    .regex(/^[-._a-zA-Z0-9]+$/, { error: 'must use only letters, digits, -, _ and .' })
    .describe(description);
}

/** A duration string; `positive` also refuses `0s`. */
export function duration(description: string, opts: { positive?: boolean } = {}) {
  const base = z
    .string()
    .min(2, { error: `must be ${DURATION_HINT}` })
    .max(DURATION_MAX_LENGTH)
    .regex(new RegExp(DURATION_PATTERN), { error: `must be ${DURATION_HINT}` });
  if (!opts.positive) return base.describe(description);

  // A malformed string already failed the pattern; report it once, not twice.
  const positive = base.refine((s) => (parseDurationSeconds(s) ?? 1) > 0, {
    error: 'must be longer than 0s',
  });
  return crdMeta(positive.describe(description), {
    'x-kubernetes-validations': [
      { rule: `${celSeconds('self')} > 0`, message: 'must be longer than 0s' },
    ],
  });
}

/** Kubernetes resource quantity (`500m`, `1`, `128Mi`, `10Gi`); the resolved value is a string. */
export const QUANTITY_PATTERN =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

export function quantity(description: string) {
  return z
    .union([
      z.int().min(0).max(1_000_000_000),
      z.string().max(32).regex(new RegExp(QUANTITY_PATTERN), {
        error: 'must be a quantity such as 500m, 2 or 1Gi',
      }),
    ])
    .transform((v) => String(v))
    .describe(description);
}

/** String-to-string map (labels, annotations) with a bound on entries for CEL's cost budget. */
export function stringMap(description: string, maxEntries: number, maxValueLength: number) {
  const schema = z
    .record(z.string().min(1).max(317), z.string().max(maxValueLength))
    .refine((m) => Object.keys(m).length <= maxEntries, {
      error: `must have at most ${maxEntries} entries`,
    })
    .describe(description);
  return crdMeta(schema, { maxProperties: maxEntries });
}

/** A label selector, as in the Kubernetes API. An empty selector matches everything. */
export function labelSelector(description: string) {
  return z
    .object({
      matchLabels: stringMap(
        'Labels that must all be present with these values. Empty or unset matches every object.',
        16,
        63,
      ).optional(),
      matchExpressions: z
        .array(
          z.object({
            key: z.string().min(1).max(317).describe('Label key the expression tests.'),
            operator: z
              .enum(['In', 'NotIn', 'Exists', 'DoesNotExist'])
              .describe('How the label is tested: In, NotIn, Exists or DoesNotExist.'),
            values: z
              .array(z.string().max(63))
              .max(16)
              .optional()
              .describe('Values for In and NotIn; must be empty for Exists and DoesNotExist.'),
          }),
        )
        .max(8)
        .optional()
        .describe('Expressions that must all hold. Unset means no expression.'),
    })
    .describe(description);
}
export type LabelSelector = z.output<ReturnType<typeof labelSelector>>;

/** A standard `metav1.Condition`, kstatus-compatible, keyed by `type`. */
export const ConditionSchema = z
  .object({
    type: z
      .string()
      .min(1)
      .max(316)
      .describe('Condition type: Ready, Progressing or Degraded (kstatus conventions).'),
    status: z.enum(['True', 'False', 'Unknown']).describe('True, False or Unknown.'),
    observedGeneration: z
      .int()
      .min(0)
      .optional()
      .describe('metadata.generation of the spec this condition was computed from.'),
    lastTransitionTime: z
      .string()
      .max(64)
      .meta({ format: 'date-time' })
      .describe('When the status last changed (RFC 3339). Moves only when status flips.'),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
      .describe('CamelCase reason, one of a constant set; for filtering and alerts.'),
    message: z
      .string()
      .max(32768)
      .describe('What happened and what to do about it, for a person to read.'),
  })
  .describe('One condition of the resource.');
export type Condition = z.output<typeof ConditionSchema>;

export function conditionList(description: string) {
  return crdMeta(z.array(ConditionSchema).max(16).describe(description), {
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  });
}
