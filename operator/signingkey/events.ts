/**
 * Events for what a run changed, computed by comparing the persisted status with the new one, so
 * a transition is announced once however many runs it took to persist (a settled SigningKey gets
 * none). Keys are named by kid only.
 */
import type { Condition } from '../api/common.ts';
import type { KeyStatus, SigningKeyStatus } from '../api/signingkey.ts';
import { findCondition } from '../kube/conditions.ts';
import type { Note } from './reconstruct.ts';
import { CONDITION, EVENT, REASON } from './reasons.ts';
import type { Transition } from './rotation.ts';
import type { PlannedEvent } from './types.ts';

export interface EventInput {
  before: SigningKeyStatus | undefined;
  after: SigningKeyStatus;
  transitions: readonly Transition[];
  notes: readonly Note[];
  importMode: boolean;
  signerSecretName: string;
  verifierSecretName: string;
}

export function plannedEvents(e: EventInput): PlannedEvent[] {
  const events: PlannedEvent[] = [];
  const previous = new Map((e.before?.keys ?? []).map((k) => [k.kid, k]));

  for (const key of e.after.keys ?? []) {
    const was = previous.get(key.kid)?.state;
    if (was === key.state) continue;
    const event = keyEvent(key, was, e);
    if (event) events.push(event);
  }

  for (const note of e.notes) {
    if (note.kind === 'lost')
      events.push({ type: 'Warning', reason: REASON.keyMaterialLost, message: note.message });
    if (note.kind === 'restored')
      events.push({ type: 'Normal', reason: EVENT.keyAdopted, message: note.message });
  }

  const request = e.after.lastRotateRequest;
  if (request !== undefined && request !== e.before?.lastRotateRequest) {
    events.push(
      e.importMode
        ? {
            type: 'Normal',
            reason: EVENT.rotationRequestIgnored,
            message: `rotate request "${request}" recorded; an imported key rotates when its source Secret changes`,
          }
        : {
            type: 'Normal',
            reason: EVENT.rotationRequested,
            message: `rotate request "${request}" acted on`,
          },
    );
  }

  events.push(...degradedEvent(e.before?.conditions, e.after.conditions));
  return events;
}

function keyEvent(
  key: KeyStatus,
  was: KeyStatus['state'] | undefined,
  e: EventInput,
): PlannedEvent | undefined {
  switch (key.state) {
    case 'Pending': {
      const minted = e.transitions.find((t) => t.kind === 'minted' && t.kid === key.kid);
      const adopted = e.notes.some((n) => n.kind === 'adopted' && n.kid === key.kid);
      const verb =
        minted?.kind === 'minted'
          ? `${e.importMode ? 'imported' : 'minted'} key ${key.kid} (${minted.why})`
          : `key ${key.kid}`;
      return {
        type: 'Normal',
        reason: adopted && !minted ? EVENT.keyAdopted : EVENT.keyPending,
        message: `${verb} is Pending in Secret ${e.verifierSecretName}; it becomes Active once every consumer FractalLBA has rolled it out`,
      };
    }
    case 'Active': {
      const t = e.transitions.find((x) => x.kind === 'activated' && x.kid === key.kid);
      const who =
        t?.kind === 'activated' && t.consumers.length > 0
          ? `; rolled out by ${t.consumers.join(', ')}`
          : '';
      return {
        type: 'Normal',
        reason: EVENT.keyActivated,
        message: `key ${key.kid} now signs (Secret ${e.signerSecretName})${who}`,
      };
    }
    case 'Retiring':
      return {
        type: 'Normal',
        reason: EVENT.keyRetiring,
        message: `key ${key.kid} no longer signs and keeps verifying until ${key.notAfter ?? 'the end of its overlap'}`,
      };
    case 'Expired':
      if (was === undefined) return undefined;
      return {
        type: 'Normal',
        reason: EVENT.keyExpired,
        message: `key ${key.kid} expired and left Secret ${e.verifierSecretName}`,
      };
  }
}

function degradedEvent(
  before: readonly Condition[] | undefined,
  after: readonly Condition[] | undefined,
): PlannedEvent[] {
  const was = findCondition(before, CONDITION.degraded);
  const now = findCondition(after, CONDITION.degraded);
  if (!now || (was?.status === now.status && was.reason === now.reason)) return [];
  if (now.status === 'True')
    return [
      { type: 'Warning', reason: now.reason as PlannedEvent['reason'], message: now.message },
    ];
  if (was?.status === 'True')
    return [
      {
        type: 'Normal',
        reason: EVENT.recovered,
        message: `no longer degraded (was ${was.reason})`,
      },
    ];
  return [];
}
