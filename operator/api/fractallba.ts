/**
 * FractalLBA: the resource type, its status, and `resolveFractalLBA`, which the controller calls
 * on every object it reconciles to get a spec with every default applied, or every error at once.
 */
import { z } from 'zod';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { API_VERSION, FRACTALLBA } from './constants.ts';
import type { CelRule } from './cel.ts';
import { conditionList, type Condition } from './common.ts';
import { resolveWith, type Resolved } from './resolve.ts';
import {
  FractalLBASpecSchema,
  type FractalLBASpec,
  type ResolvedFractalLBASpec,
} from './fractallba-spec.ts';
import { FRACTALLBA_RULES } from './fractallba-rules.ts';

export {
  FLK_DEFAULTS,
  FractalLBASpecSchema,
  type FractalLBASpec,
  type ResolvedFractalLBASpec,
} from './fractallba-spec.ts';
export { FRACTALLBA_RULES, FRACTALLBA_TRANSITION_RULES, maxPods } from './fractallba-rules.ts';

/**
 * Longest FractalLBA name: `<name>-wal-compaction` names a CronJob, whose Jobs append 11
 * characters and must stay within 63. A DNS-1035 label, because the Service takes the name.
 */
export const FRACTALLBA_NAME_MAX = 37;
export const FRACTALLBA_NAME = /^[a-z]([-a-z0-9]{0,35}[a-z0-9])?$/;
export const FRACTALLBA_NAME_MESSAGE =
  `must be at most ${FRACTALLBA_NAME_MAX} characters of lower-case letters, digits and '-', ` +
  'starting with a letter and ending with a letter or digit: it names the Service and the ' +
  '<name>-wal-compaction CronJob';
export const FRACTALLBA_NAME_RULE: CelRule = {
  rule: `self.metadata.name.matches('${FRACTALLBA_NAME.source}')`,
  message: `metadata.name ${FRACTALLBA_NAME_MESSAGE}`,
  // No fieldPath: the API server accepts only paths into the declared schema, and metadata has none.
};

/** Condition types of a FractalLBA (kstatus: Ready is the summary, the other two are abnormal-true). */
export const FRACTALLBA_CONDITIONS = ['Ready', 'Progressing', 'Degraded'] as const;

const replicaStatus = (description: string) => z.int().min(0).optional().describe(description);

export const FractalLBAStatusSchema = z
  .object({
    observedGeneration: z
      .int()
      .min(0)
      .optional()
      .describe('metadata.generation of the spec the operator last reconciled.'),
    conditions: conditionList(
      'Ready (the backend serves with the desired spec and keys), Progressing (a rollout or a ' +
        'dependency is under way; the message says what is awaited) and Degraded (something the ' +
        'operator cannot fix alone; the message says what to change).',
    ).optional(),
    replicas: replicaStatus('Backend pods that exist (Deployment status.replicas).'),
    readyReplicas: replicaStatus('Backend pods passing their readiness probe.'),
    updatedReplicas: replicaStatus('Backend pods running the current pod template.'),
    availableReplicas: replicaStatus('Backend pods ready for at least minReadySeconds.'),
    keyIds: z
      .array(z.string().max(128))
      .max(64)
      .optional()
      .describe(
        'Key ids the rolled-out backend verifies with, across every SigningKey of spec.signing.keyRefs.',
      ),
    serviceURL: z
      .string()
      .max(512)
      .optional()
      .describe('In-cluster URL of the ingest Service, e.g. http://name.namespace.svc:80.'),
  })
  .describe('Observed state of the FractalLBA, written only by the operator.');

export type FractalLBAStatus = z.output<typeof FractalLBAStatusSchema>;
export type FractalLBACondition = Condition;

/** A FractalLBA object as the API server returns it. */
export interface FractalLBA {
  apiVersion: typeof API_VERSION;
  kind: typeof FRACTALLBA.kind;
  metadata: V1ObjectMeta;
  spec: FractalLBASpec;
  status?: FractalLBAStatus;
}

/**
 * Validates `resource.spec` and applies every default. Errors name the field, the rule and what
 * to do instead, e.g. `spec.dedup.backend: the memory dedup store lives inside one pod, ...`.
 */
export function resolveFractalLBA(resource: unknown): Resolved<ResolvedFractalLBASpec> {
  const resolved = resolveWith(resource, FractalLBASpecSchema, FRACTALLBA_RULES);
  const name = (resource as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  if (typeof name !== 'string' || FRACTALLBA_NAME.test(name)) return resolved;

  const nameError = `metadata.name: ${FRACTALLBA_NAME_MESSAGE}`;
  return { ok: false, errors: [nameError, ...(resolved.ok ? [] : resolved.errors)] };
}
