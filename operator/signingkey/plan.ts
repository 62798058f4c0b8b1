/**
 * The rotation state machine, as one pure function: what is persisted (status and both Secrets),
 * the consumers' rollouts, the spec and the clock in; the next status, the desired content of
 * both Secrets, the events and when to run again out. The controller writes the result signer
 * Secret first, verifier Secret second, status last (README.md, "Restart safety").
 */
import { verifierSecretName, signerSecretName } from '../api/constants.ts';
import type { KeyStatus, SigningKeyStatus } from '../api/signingkey.ts';
import { setCondition } from '../kube/conditions.ts';
import { overlapHold, sourceHold } from './checks.ts';
import { conditionsFor, rolloutDeadline } from './conditions.ts';
import { plannedEvents } from './events.ts';
import { dropUndefined, reconstruct } from './reconstruct.ts';
import { advance, nextRotation, trimHistory } from './rotation.ts';
import { withState } from './secrets.ts';
import type { KeyEntry, RotationInput, RotationOutput } from './types.ts';

export function planRotation(input: RotationInput): RotationOutput {
  const signerName = input.status?.signerSecretName ?? signerSecretName(input.owner.name);
  const verifierName = input.status?.verifierSecretName ?? verifierSecretName(input.owner.name);
  const importMode = input.spec.source.mode === 'import';

  const rebuilt = reconstruct(input);
  const entries = restoreFromSource(rebuilt.entries, input);
  const hold =
    sourceHold(input.source, entries, input.spec.source.secretRef?.name ?? '') ??
    overlapHold(input.spec, input.consumers);
  const advanced = advance(entries, { input, hold });
  const keys = trimHistory(advanced.entries, input.spec.historyLimit);

  const nextRotationTime = keys.some((e) => e.state === 'Pending')
    ? undefined
    : nextRotation(keys, input);
  const status = buildStatus(input, keys, {
    signerName,
    verifierName,
    nextRotationTime,
    conditions: conditionsFor({
      input,
      entries: keys,
      hold,
      gate: advanced.gate,
      nextRotationTime,
      signerSecretName: signerName,
      verifierSecretName: verifierName,
    }),
  });

  const events = plannedEvents({
    before: input.status,
    after: status,
    transitions: advanced.transitions,
    notes: rebuilt.notes,
    importMode,
    signerSecretName: signerName,
    verifierSecretName: verifierName,
  });

  return {
    status,
    signer: {
      active: keys.find((e) => e.state === 'Active')?.signer,
      pending: keys.find((e) => e.state === 'Pending')?.signer,
    },
    verifierFiles: keys
      .filter((e) => e.state !== 'Expired' && e.verifier !== undefined)
      .map((e) =>
        withState(
          e.verifier!,
          e.state as 'Pending' | 'Active' | 'Retiring',
          e.state === 'Retiring' ? e.notAfter : undefined,
        ),
      ),
    events,
    requeueAfterMs: requeueAfter(input, keys, hold !== undefined, nextRotationTime),
    minted: advanced.minted,
  };
}

/** Import mode: the source Secret still holds the Active key, so a lost signer file comes back from it. */
function restoreFromSource(entries: KeyEntry[], input: RotationInput): KeyEntry[] {
  const source = input.source;
  if (!source?.ok) return entries;
  return entries.map((e) =>
    e.state === 'Active' && !e.signer && e.kid === source.signer.kid
      ? { ...e, signer: source.signer }
      : e,
  );
}

interface StatusParts {
  signerName: string;
  verifierName: string;
  nextRotationTime: string | undefined;
  conditions: ReturnType<typeof conditionsFor>;
}

function buildStatus(
  input: RotationInput,
  keys: readonly KeyEntry[],
  parts: StatusParts,
): SigningKeyStatus {
  let conditions = input.status?.conditions;
  for (const update of parts.conditions)
    conditions = setCondition(conditions, update, input.generation, input.now);

  const pending = keys.find((e) => e.state === 'Pending');
  const newlyPending =
    pending && !input.status?.keys?.some((k) => k.kid === pending.kid && k.state === 'Pending');
  const consumeRequest = newlyPending || input.spec.source.mode === 'import';
  const lastRotateRequest = consumeRequest
    ? (input.rotateRequest ?? input.status?.lastRotateRequest)
    : input.status?.lastRotateRequest;

  return dropUndefined({
    observedGeneration: input.generation,
    conditions,
    keys: keys.map(statusEntry),
    activeKeyId: keys.find((e) => e.state === 'Active' && e.signer)?.kid,
    nextRotationTime: parts.nextRotationTime,
    signerSecretName: parts.signerName,
    verifierSecretName: parts.verifierName,
    lastRotateRequest,
  });
}

function statusEntry(e: KeyEntry): KeyStatus {
  const { kid, state, createdAt, activatedAt, retiringAt, expiredAt, notAfter } = e;
  return dropUndefined({ kid, state, createdAt, activatedAt, retiringAt, expiredAt, notAfter });
}

/** The soonest time-driven step: a scheduled rotation, the end of a window, a rollout deadline. */
function requeueAfter(
  input: RotationInput,
  keys: readonly KeyEntry[],
  held: boolean,
  nextRotationTime: string | undefined,
): number | undefined {
  const now = input.now.getTime();
  const times: number[] = [];
  if (nextRotationTime && !held) times.push(Date.parse(nextRotationTime));
  for (const e of keys) {
    if (e.state === 'Retiring' && e.notAfter) times.push(Date.parse(e.notAfter));
    if (e.state === 'Pending') {
      const deadline = rolloutDeadline(e, input);
      if (deadline !== undefined && deadline > now) times.push(deadline);
    }
  }
  if (times.length === 0) return undefined;
  return Math.max(0, Math.min(...times) - now);
}
