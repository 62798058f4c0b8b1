/**
 * The rotation steps, as pure transitions of the key table (reconstruct.ts builds it from what
 * is persisted). One run makes at most one step of each key's life:
 *
 *   mint      no key Pending and a rotation is due        → new key Pending
 *   promote   the Pending key is persisted in status and in the verifier Secret, and every
 *             consumer has rolled it out                  → Pending → Active, Active → Retiring
 *   expire    a Retiring key's notAfter has passed        → Expired
 *
 * Promotion and minting never happen in the same run, and a key minted in a run is never
 * promoted in it: verifier first, always.
 */
import type { SignerKeyFile } from '../../pcs/keyfile.ts';
import { parseDurationSeconds } from '../api/duration.ts';
import { toRfc3339 } from '../kube/conditions.ts';
import type { Hold } from './checks.ts';
import { signerFileFor, verifierFileFor } from './material.ts';
import { shift } from './reconstruct.ts';
import type { Consumer, KeyEntry, RotationInput } from './types.ts';

/** Why a new key is minted. */
export type DueReason =
  'first key' | 'signer key lost' | 'scheduled' | 'requested' | 'source changed';

export type Transition =
  | { kind: 'minted'; kid: string; why: DueReason }
  | { kind: 'activated'; kid: string; consumers: string[] }
  | { kind: 'retiring'; kid: string; notAfter: string }
  | { kind: 'expired'; kid: string };

/** The promotion gate for one Pending key. */
export interface Gate {
  ready: boolean;
  /** Consumers that have not rolled the key out yet, with what is awaited. */
  waiting: { consumer: string; message: string }[];
}

export interface AdvanceContext {
  input: RotationInput;
  hold: Hold | undefined;
}

export interface Advanced {
  entries: KeyEntry[];
  transitions: Transition[];
  /** The gate of the Pending key after this run, if one is Pending. */
  gate?: Gate;
  minted?: string;
}

/** A consumer has rolled out `kid`: its pod template lists it and the rollout is complete. */
export function gateFor(kid: string, consumers: readonly Consumer[]): Gate {
  const waiting: Gate['waiting'] = [];
  for (const c of consumers) {
    if (!c.rollout.keyIds.includes(kid)) {
      waiting.push({
        consumer: c.name,
        message: `its Deployment does not list key ${kid} yet (${c.rollout.message})`,
      });
    } else if (!c.rollout.complete) {
      waiting.push({ consumer: c.name, message: c.rollout.message });
    }
  }
  return { ready: waiting.length === 0, waiting };
}

/** When the Active key is due to be replaced (generate mode). */
export function nextRotation(
  entries: readonly KeyEntry[],
  input: RotationInput,
): string | undefined {
  if (input.spec.source.mode !== 'generate') return undefined;
  const active = entries.find((e) => e.state === 'Active');
  if (!active?.activatedAt) return undefined;
  return shift(active.activatedAt, (parseDurationSeconds(input.spec.rotationInterval) ?? 0) * 1000);
}

export function advance(start: readonly KeyEntry[], ctx: AdvanceContext): Advanced {
  const { input } = ctx;
  const now = toRfc3339(input.now);
  const transitions: Transition[] = [];
  let entries = start.map((e) => ({ ...e }));

  entries = entries.map((e) => {
    if (e.state !== 'Retiring' || e.notAfter === undefined || e.notAfter > now) return e;
    transitions.push({ kind: 'expired', kid: e.kid });
    return { ...withoutMaterial(e), state: 'Expired', expiredAt: now };
  });
  if (ctx.hold) return { entries, transitions };

  const pending = entries.find((e) => e.state === 'Pending');
  if (pending) {
    const gate = gateFor(pending.kid, input.consumers);
    if (!gate.ready || !persistedPending(pending.kid, input)) return { entries, transitions, gate };
    return { entries: promote(entries, pending.kid, input, transitions), transitions };
  }

  const why = dueReason(entries, input);
  if (!why) return { entries, transitions };
  const signer = newKey(input);
  entries.push({
    kid: signer.kid,
    state: 'Pending',
    createdAt: now,
    signer,
    verifier: verifierFileFor(signer, input.spec.schemes),
  });
  transitions.push({ kind: 'minted', kid: signer.kid, why });
  return { entries, transitions, gate: gateFor(signer.kid, input.consumers), minted: signer.kid };
}

/** Drops Expired keys beyond spec.historyLimit, oldest first. */
export function trimHistory(entries: readonly KeyEntry[], historyLimit: number): KeyEntry[] {
  let extra = entries.filter((e) => e.state === 'Expired').length - historyLimit;
  return entries.filter((e) => e.state !== 'Expired' || extra-- <= 0);
}

/** Promotion needs the Pending key recorded in status and published to the verifier Secret. */
function persistedPending(kid: string, input: RotationInput): boolean {
  const inStatus = input.status?.keys?.some((k) => k.kid === kid && k.state === 'Pending') ?? false;
  const published = input.verifier.files.some((f) => f.kid === kid);
  return inStatus && published;
}

function promote(
  entries: KeyEntry[],
  kid: string,
  input: RotationInput,
  transitions: Transition[],
): KeyEntry[] {
  const now = toRfc3339(input.now);
  const notAfter = shift(now, (parseDurationSeconds(input.spec.overlap) ?? 0) * 1000);
  transitions.push({ kind: 'activated', kid, consumers: input.consumers.map((c) => c.name) });

  return entries.map((e) => {
    if (e.kid === kid) return { ...e, state: 'Active', activatedAt: now };
    if (e.state !== 'Active') return e;
    transitions.push({ kind: 'retiring', kid: e.kid, notAfter });
    return { ...withoutSigner(e), state: 'Retiring', retiringAt: now, notAfter };
  });
}

function dueReason(entries: readonly KeyEntry[], input: RotationInput): DueReason | undefined {
  const active = entries.find((e) => e.state === 'Active');

  if (input.spec.source.mode === 'import') {
    if (!input.source?.ok) return undefined;
    const kid = input.source.signer.kid;
    if (entries.some((e) => e.kid === kid && e.state !== 'Expired')) return undefined;
    return active ? 'source changed' : 'first key';
  }

  if (!active) return 'first key';
  if (!active.signer) return 'signer key lost';
  if (input.rotateRequest !== undefined && input.rotateRequest !== input.status?.lastRotateRequest)
    return 'requested';
  const next = nextRotation(entries, input);
  if (next !== undefined && toRfc3339(input.now) >= next) return 'scheduled';
  return undefined;
}

function newKey(input: RotationInput): SignerKeyFile {
  if (input.spec.source.mode === 'import' && input.source?.ok)
    return signerFileFor(input.source.signer, input.spec.schemes);
  return input.mint();
}

function withoutSigner(e: KeyEntry): KeyEntry {
  const copy = { ...e };
  delete copy.signer;
  return copy;
}

function withoutMaterial(e: KeyEntry): KeyEntry {
  const copy = withoutSigner(e);
  delete copy.verifier;
  return copy;
}
