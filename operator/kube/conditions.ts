import type { Condition } from '../api/common.ts';

export type ConditionStatus = Condition['status'];

/** A condition as a step computes it; the bookkeeping fields are filled in by {@link setCondition}. */
export interface ConditionUpdate {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * The conditions with `update` merged in, metav1 style: `lastTransitionTime` moves only when the
 * status flips (a new reason or message alone keeps it), and `observedGeneration` records the
 * spec the condition was computed from. The order of existing conditions is kept.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  update: ConditionUpdate,
  generation: number | undefined,
  now: Date,
): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === update.type);
  const previous = index >= 0 ? list[index] : undefined;

  const next: Condition = {
    type: update.type,
    status: update.status,
    observedGeneration: generation,
    lastTransitionTime:
      previous && previous.status === update.status ? previous.lastTransitionTime : toRfc3339(now),
    reason: update.reason,
    message: update.message,
  };
  if (generation === undefined) delete next.observedGeneration;

  if (index >= 0) list[index] = next;
  else list.push(next);
  return list;
}

/** RFC 3339 at second precision, the form metav1.Time serialises to. */
export function toRfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
