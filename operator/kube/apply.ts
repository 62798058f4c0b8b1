import { canonicalJson, sha256Hex } from './canonical.ts';
import type { KubeClient } from './client.ts';
import { appliedFieldsOf, unownedFields } from './owned-fields.ts';
import type { KubeObject } from './types.ts';

/**
 * Annotation holding the sha256 of the object the operator last applied (computed without this
 * annotation). It changes exactly when the operator's intent for the object changes.
 */
export const APPLIED_HASH_ANNOTATION = 'flk.fractal-lba.io/applied-hash';

export type ApplyDecision =
  | { apply: false; reason: 'up-to-date' }
  | { apply: true; reason: 'absent' | 'desired-changed' | 'fields-lost'; fields?: string[] };

/** `desired` with the hash annotation set to the hash of `desired` itself. */
export function withAppliedHash(desired: KubeObject): KubeObject {
  const hash = sha256Hex(canonicalJson(stripHash(desired)));
  return {
    ...desired,
    metadata: {
      ...desired.metadata,
      annotations: { ...desired.metadata.annotations, [APPLIED_HASH_ANNOTATION]: hash },
    },
  };
}

/**
 * Whether applying `desired` (already carrying its hash, see {@link withAppliedHash}) would change
 * anything. It would not when both hold:
 *
 * 1. the live object carries the same hash: our intent is the one last applied; and
 * 2. every field of `desired` is still in the set the server records as owned by `fieldManager`:
 *    nobody edited, removed or took over a field of ours since (see `unownedFields`).
 *
 * Neither check compares values with the live object, so server-side defaulting and
 * normalisation cannot make a settled object look changed, which would mean a write every time.
 */
export function decideApply(
  desired: KubeObject,
  live: KubeObject | undefined,
  fieldManager: string,
): ApplyDecision {
  if (!live) return { apply: true, reason: 'absent' };

  const wanted = desired.metadata.annotations?.[APPLIED_HASH_ANNOTATION];
  if (!wanted || live.metadata.annotations?.[APPLIED_HASH_ANNOTATION] !== wanted) {
    return { apply: true, reason: 'desired-changed' };
  }

  const lost = unownedFields(desired, appliedFieldsOf(live, fieldManager));
  if (lost.length > 0) return { apply: true, reason: 'fields-lost', fields: lost };

  return { apply: false, reason: 'up-to-date' };
}

export interface ApplyResult {
  decision: ApplyDecision;
  /** The object after the apply, or the live object when nothing was written. */
  object: KubeObject | undefined;
}

/**
 * Server-side applies `desired` under `fieldManager` with force, unless {@link decideApply} says
 * it would change nothing. Force is right for a controller: the operator is the authority for
 * these fields, and a hand edit of one is exactly what it must undo.
 */
export async function applyIfChanged(
  client: Pick<KubeClient, 'apply'>,
  desired: KubeObject,
  live: KubeObject | undefined,
  fieldManager: string,
): Promise<ApplyResult> {
  const hashed = withAppliedHash(desired);
  const decision = decideApply(hashed, live, fieldManager);
  if (!decision.apply) return { decision, object: live };

  const object = await client.apply(hashed, { fieldManager, force: true });
  return { decision, object };
}

function stripHash(obj: KubeObject): KubeObject {
  const annotations = { ...obj.metadata.annotations };
  delete annotations[APPLIED_HASH_ANNOTATION];
  const metadata = { ...obj.metadata };
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  else delete metadata.annotations;
  return { ...obj, metadata };
}
