/**
 * Ready, Progressing and Degraded of a SigningKey, kstatus style: Ready is the summary (an Active
 * key signs and the spec is followed); Progressing and Degraded are abnormal-true. Messages say
 * what is awaited or what to change, and name keys only by kid.
 */
import { parseDurationSeconds } from '../api/duration.ts';
import type { ConditionUpdate } from '../kube/conditions.ts';
import type { Hold } from './checks.ts';
import { CONDITION, REASON } from './reasons.ts';
import type { Gate } from './rotation.ts';
import type { KeyEntry, RotationInput } from './types.ts';

export interface ConditionInput {
  input: RotationInput;
  entries: readonly KeyEntry[];
  hold: Hold | undefined;
  gate: Gate | undefined;
  nextRotationTime: string | undefined;
  signerSecretName: string;
  verifierSecretName: string;
}

/** When the Pending key's consumers are late: createdAt + spec.rolloutTimeout. */
export function rolloutDeadline(pending: KeyEntry, input: RotationInput): number | undefined {
  if (!pending.createdAt) return undefined;
  return (
    Date.parse(pending.createdAt) + (parseDurationSeconds(input.spec.rolloutTimeout) ?? 0) * 1000
  );
}

export function conditionsFor(
  c: ConditionInput,
): [ConditionUpdate, ConditionUpdate, ConditionUpdate] {
  const active = c.entries.find((e) => e.state === 'Active');
  const pending = c.entries.find((e) => e.state === 'Pending');
  const signs = active?.signer !== undefined;
  const waiting =
    pending && c.gate && !c.gate.ready ? describeWaiting(pending.kid, c.gate) : undefined;

  const ready = readyCondition(c, active, pending, waiting);
  const progressing = progressingCondition(c, pending, waiting);

  let degraded: ConditionUpdate = cond(
    CONDITION.degraded,
    'False',
    REASON.asExpected,
    'nothing needs attention',
  );
  const deadline = pending ? rolloutDeadline(pending, c.input) : undefined;
  if (c.hold) {
    degraded = cond(CONDITION.degraded, 'True', c.hold.reason, c.hold.message);
  } else if (active && !signs) {
    degraded = cond(
      CONDITION.degraded,
      'True',
      REASON.keyMaterialLost,
      `the private half of Active key ${active.kid} is gone from Secret ${c.signerSecretName}; agents cannot sign until the replacement key is promoted`,
    );
  } else if (pending && waiting && deadline !== undefined && c.input.now.getTime() >= deadline) {
    degraded = cond(
      CONDITION.degraded,
      'True',
      REASON.rolloutTimedOut,
      `not promoted after spec.rolloutTimeout ${c.input.spec.rolloutTimeout}: ${waiting}; ` +
        'the key stays Pending until they roll out (check why their pods do not become ready, or whether they are paused)',
    );
  }
  return [ready, progressing, degraded];
}

function readyCondition(
  c: ConditionInput,
  active: KeyEntry | undefined,
  pending: KeyEntry | undefined,
  waiting: string | undefined,
): ConditionUpdate {
  if (c.hold) return cond(CONDITION.ready, 'False', c.hold.reason, c.hold.message);
  if (!active?.signer) {
    const message = pending
      ? `no key signs yet: key ${pending.kid} is Pending; ${waiting ?? 'it is promoted on the next step'}`
      : `no key signs yet: waiting for the first key`;
    return cond(CONDITION.ready, 'False', REASON.waitingForRollout, message);
  }
  const verifying = c.entries.filter((e) => e.state !== 'Expired').length;
  return cond(
    CONDITION.ready,
    'True',
    REASON.keyActive,
    `key ${active.kid} signs (Secret ${c.signerSecretName}); ${verifying} ${verifying === 1 ? 'key verifies' : 'keys verify'} (Secret ${c.verifierSecretName})`,
  );
}

function progressingCondition(
  c: ConditionInput,
  pending: KeyEntry | undefined,
  waiting: string | undefined,
): ConditionUpdate {
  if (c.hold)
    return cond(CONDITION.progressing, 'False', c.hold.reason, 'rotation is held; see Degraded');
  if (pending) {
    return cond(
      CONDITION.progressing,
      'True',
      REASON.waitingForRollout,
      waiting
        ? `key ${pending.kid} is Pending: ${waiting}`
        : `key ${pending.kid} is Pending: every consumer has rolled it out; promoting it`,
    );
  }
  const when =
    c.input.spec.source.mode === 'import'
      ? `the next rotation starts when Secret ${c.input.spec.source.secretRef?.name ?? ''} changes`
      : c.nextRotationTime
        ? `the next rotation starts at ${c.nextRotationTime}`
        : 'no rotation is scheduled';
  return cond(
    CONDITION.progressing,
    'False',
    REASON.idle,
    `no rotation step is under way; ${when}`,
  );
}

function describeWaiting(kid: string, gate: Gate): string {
  const parts = gate.waiting.map((w) => `FractalLBA ${w.consumer}: ${w.message}`);
  return `waiting for ${gate.waiting.length === 1 ? 'a consumer' : `${gate.waiting.length} consumers`} to roll out key ${kid} (${parts.join('; ')})`;
}

function cond(
  type: string,
  status: 'True' | 'False',
  reason: string,
  message: string,
): ConditionUpdate {
  return { type, status, reason, message };
}
