import type { FractalLBAStatus } from '../api/fractallba.ts';
import { setCondition, type ConditionUpdate } from '../kube/conditions.ts';
import { CONDITION, REASON } from './reasons.ts';
import type { Rollout } from './rollout.ts';

/** How far a reconcile got, which decides the conditions. */
export type Outcome =
  | { kind: 'invalid'; errors: string[] }
  | {
      kind: 'waiting';
      reason: typeof REASON.waitingForKeys | typeof REASON.waitingForSecrets;
      message: string;
    }
  | { kind: 'failed'; reason: string; message: string; terminal: boolean }
  | { kind: 'applied'; rollout: Rollout };

export interface StatusInput {
  previous: FractalLBAStatus | undefined;
  generation: number | undefined;
  outcome: Outcome;
  now: Date;
  /** Key ids of the keys just resolved; they enter status once the rollout carrying them is done. */
  keyIds?: string[];
  serviceURL?: string;
}

/**
 * The status a reconcile ends with, as a pure function of what it saw. kstatus semantics: Ready is
 * the summary (True means serving the current spec); Progressing and Degraded are abnormal-true
 * (False when all is well); every condition records the generation it was computed from.
 */
export function computeStatus(input: StatusInput): FractalLBAStatus {
  const { outcome, previous } = input;
  const [ready, progressing, degraded] = conditionsFor(outcome);

  let conditions = previous?.conditions;
  for (const update of [ready, progressing, degraded]) {
    conditions = setCondition(conditions, update, input.generation, input.now);
  }

  const status: FractalLBAStatus = {
    ...previous,
    observedGeneration: input.generation,
    conditions,
  };
  if (input.serviceURL) status.serviceURL = input.serviceURL;
  if (outcome.kind === 'applied' && outcome.rollout.state !== 'absent') {
    Object.assign(status, outcome.rollout.counts);
  }
  if (outcome.kind === 'applied' && outcome.rollout.state === 'complete' && input.keyIds) {
    status.keyIds = input.keyIds;
  }
  return dropUndefined(status);
}

/** Status while paused: only Progressing changes (False, Paused); the rest stays as it was. */
export function pausedStatus(
  previous: FractalLBAStatus | undefined,
  generation: number | undefined,
  now: Date,
) {
  const conditions = setCondition(
    previous?.conditions,
    {
      type: CONDITION.progressing,
      status: 'False',
      reason: REASON.paused,
      message:
        'reconciliation is paused by the annotation flk.fractal-lba.io/paused=true; children are left ' +
        'as they are; remove the annotation to resume',
    },
    generation,
    now,
  );
  return dropUndefined({ ...previous, conditions });
}

type Three = [ConditionUpdate, ConditionUpdate, ConditionUpdate];

function conditionsFor(outcome: Outcome): Three {
  const ready = (status: 'True' | 'False', reason: string, message: string): ConditionUpdate => ({
    type: CONDITION.ready,
    status,
    reason,
    message,
  });
  const progressing = (
    status: 'True' | 'False',
    reason: string,
    message: string,
  ): ConditionUpdate => ({
    type: CONDITION.progressing,
    status,
    reason,
    message,
  });
  const degraded = (
    status: 'True' | 'False',
    reason: string,
    message: string,
  ): ConditionUpdate => ({
    type: CONDITION.degraded,
    status,
    reason,
    message,
  });
  const fine = degraded('False', REASON.asExpected, 'nothing needs attention');

  switch (outcome.kind) {
    case 'invalid': {
      const message = `the spec is invalid, nothing was changed: ${outcome.errors.join('; ')}`;
      return [
        ready('False', REASON.invalidSpec, message),
        progressing('False', REASON.invalidSpec, 'waiting for the spec to be fixed'),
        degraded('True', REASON.invalidSpec, message),
      ];
    }
    case 'waiting':
      return [
        ready('False', outcome.reason, outcome.message),
        progressing('True', outcome.reason, outcome.message),
        fine,
      ];
    case 'failed':
      return [
        ready('False', outcome.reason, outcome.message),
        outcome.terminal
          ? progressing('False', outcome.reason, 'stopped until the spec or the cluster changes')
          : progressing('True', outcome.reason, `${outcome.message}; retrying with backoff`),
        degraded('True', outcome.reason, outcome.message),
      ];
    case 'applied': {
      const { rollout } = outcome;
      if (rollout.state === 'complete') {
        return [
          ready('True', REASON.available, rollout.message),
          progressing('False', REASON.rolloutComplete, rollout.message),
          fine,
        ];
      }
      if (rollout.state === 'stalled' || rollout.state === 'replica-failure') {
        const reason = rollout.state === 'stalled' ? REASON.rolloutStalled : REASON.replicaFailure;
        return [
          ready('False', reason, rollout.message),
          progressing('False', reason, rollout.message),
          degraded('True', reason, rollout.message),
        ];
      }
      return [
        ready('False', REASON.rollingOut, rollout.message),
        progressing('True', REASON.rollingOut, rollout.message),
        fine,
      ];
    }
  }
}

function dropUndefined<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}
