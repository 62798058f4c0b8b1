import type { Condition } from '../api/common.ts';
import { findCondition } from '../kube/conditions.ts';
import type { ChildChange } from './apply-children.ts';
import type { FractalLBADeps, FractalLBAObject } from './deps.ts';
import { CONDITION, EVENT, REASON } from './reasons.ts';

const ACTION_EVENT = {
  created: { reason: EVENT.created, verb: 'created' },
  updated: { reason: EVENT.updated, verb: 'updated' },
  reverted: { reason: EVENT.reverted, verb: 'put back' },
  pruned: { reason: EVENT.pruned, verb: 'deleted' },
} as const;

/** Step 9a: one event per kind of change made to the children in this reconcile. */
export async function recordChildChanges(
  flk: FractalLBAObject,
  changes: readonly ChildChange[],
  deps: FractalLBADeps,
) {
  for (const action of ['created', 'updated', 'reverted', 'pruned'] as const) {
    const these = changes.filter((c) => c.action === action);
    if (these.length === 0) continue;

    const { reason, verb } = ACTION_EVENT[action];
    const list = these.map((c) =>
      c.fields?.length ? `${c.kind} ${c.name} (${c.fields.join(', ')})` : `${c.kind} ${c.name}`,
    );
    const why =
      action === 'reverted'
        ? ', which someone else had changed'
        : action === 'pruned'
          ? ', no longer rendered'
          : '';
    await deps.events.record(flk, 'Normal', reason, `${verb} ${list.join(', ')}${why}`);
  }
}

/**
 * Step 9b: an event when the summary state changes (Ready's status or reason, or pausing), never
 * for a message that only counts progress, so a settled or slowly rolling object is quiet.
 */
export async function recordTransition(
  flk: FractalLBAObject,
  before: readonly Condition[] | undefined,
  after: readonly Condition[] | undefined,
  deps: FractalLBADeps,
) {
  const summary = (conditions: readonly Condition[] | undefined) => {
    const paused = findCondition(conditions, CONDITION.progressing)?.reason === REASON.paused;
    const ready = findCondition(conditions, CONDITION.ready);
    return paused ? REASON.paused : `${ready?.status}/${ready?.reason}`;
  };
  if (summary(before) === summary(after)) return;

  if (summary(after) === REASON.paused) {
    const message = findCondition(after, CONDITION.progressing)?.message ?? '';
    await deps.events.record(flk, 'Normal', REASON.paused, message);
    return;
  }
  const ready = findCondition(after, CONDITION.ready);
  if (!ready) return;
  const degraded = findCondition(after, CONDITION.degraded)?.status === 'True';
  await deps.events.record(flk, degraded ? 'Warning' : 'Normal', ready.reason, ready.message);
}
