/**
 * Status when the rotation does not run: paused, invalid spec, a Secret that is not ours, a write
 * that failed. Keys and times stay exactly as persisted (nothing unpersisted is ever recorded);
 * only the conditions say what is wrong and what to do.
 */
import type { SigningKeyStatus } from '../api/signingkey.ts';
import { setCondition, type ConditionUpdate } from '../kube/conditions.ts';
import { dropUndefined } from './reconstruct.ts';
import { CONDITION, REASON, type ConditionReason } from './reasons.ts';

export function withConditions(
  previous: SigningKeyStatus | undefined,
  generation: number | undefined,
  now: Date,
  updates: readonly ConditionUpdate[],
  observed = true,
): SigningKeyStatus {
  let conditions = previous?.conditions;
  for (const update of updates) conditions = setCondition(conditions, update, generation, now);
  return dropUndefined({
    ...previous,
    observedGeneration: observed ? generation : previous?.observedGeneration,
    conditions,
  });
}

export function pausedStatus(
  previous: SigningKeyStatus | undefined,
  generation: number | undefined,
  now: Date,
) {
  const message =
    'reconciliation is paused by the annotation flk.fractal-lba.io/paused=true: no key is minted, ' +
    'promoted or expired from the verifier Secret (backends still stop trusting a Retiring key at ' +
    'its not_after); remove the annotation to resume';
  return withConditions(
    previous,
    generation,
    now,
    [{ type: CONDITION.progressing, status: 'False', reason: REASON.paused, message }],
    false,
  );
}

/** Ready False, Progressing False, Degraded True: stopped until the spec or the cluster changes. */
export function stoppedStatus(
  previous: SigningKeyStatus | undefined,
  generation: number | undefined,
  now: Date,
  reason: ConditionReason,
  message: string,
) {
  return withConditions(previous, generation, now, [
    { type: CONDITION.ready, status: 'False', reason, message },
    {
      type: CONDITION.progressing,
      status: 'False',
      reason,
      message: 'stopped until the spec or the cluster changes',
    },
    { type: CONDITION.degraded, status: 'True', reason, message },
  ]);
}

/** A write failed: still progressing (retried with backoff), and degraded until it succeeds. */
export function writeFailedStatus(
  previous: SigningKeyStatus | undefined,
  generation: number | undefined,
  now: Date,
  message: string,
) {
  return withConditions(
    previous,
    generation,
    now,
    [
      {
        type: CONDITION.progressing,
        status: 'True',
        reason: REASON.writeFailed,
        message: `${message}; retrying with backoff`,
      },
      { type: CONDITION.degraded, status: 'True', reason: REASON.writeFailed, message },
    ],
    false,
  );
}
