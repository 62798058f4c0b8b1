/**
 * Where the rotation stands, rebuilt from what is persisted: the status and the two Secrets.
 * Nothing is remembered between runs, so an operator killed between any two writes resumes from
 * here. The writes of each step go signer Secret, then verifier Secret, then status (README.md,
 * "Restart safety"), so the Secrets are read as ahead of the status:
 *
 * - the signer Secret decides which key is Active (`signer.json`) and which is Pending
 *   (`pending.json`): a Pending key found there but not in status is adopted, never re-minted;
 * - a key the verifier Secret marks Active while the signer Secret holds another was just
 *   replaced: it becomes Retiring from now, its window starting no earlier than the switch;
 * - a verifier file's `not_after` is the authority on a Retiring key's window;
 * - a key status lists but no Secret holds any more has left the verifier set: Expired.
 */
import type { SignerKeyFile, VerifierKeyFile } from '../../pcs/keyfile.ts';
import { parseDurationSeconds } from '../api/duration.ts';
import type { KeyStatus } from '../api/signingkey.ts';
import { toRfc3339 } from '../kube/conditions.ts';
import {
  baseVerifierFile,
  signerFileFor,
  signerFileFromVerifier,
  verifierFileFor,
} from './material.ts';
import type { KeyEntry, RotationInput } from './types.ts';

/** Something the rebuild found that a person should hear about (an event, a status message). */
export interface Note {
  kind: 'adopted' | 'restored' | 'lost';
  kid: string;
  message: string;
}

export interface Reconstructed {
  /** Every key, oldest first: status order, then keys only the Secrets know. */
  entries: KeyEntry[];
  notes: Note[];
}

type Input = Pick<RotationInput, 'now' | 'spec' | 'status' | 'signer' | 'verifier'>;

export function reconstruct(input: Input): Reconstructed {
  const now = toRfc3339(input.now);
  const overlapMs = (parseDurationSeconds(input.spec.overlap) ?? 0) * 1000;
  const schemes = input.spec.schemes;
  const persisted = new Map((input.status?.keys ?? []).map((k) => [k.kid, k]));
  const files = new Map(input.verifier.files.map((f) => [f.kid, f]));
  const active = input.signer.active;
  const pending = input.signer.pending?.kid === active?.kid ? undefined : input.signer.pending;
  const notes: Note[] = [];

  const entries: KeyEntry[] = [];
  for (const kid of orderedKids(input, active, pending)) {
    const st = persisted.get(kid);
    const file = files.get(kid);
    const entry = rebuild({
      kid,
      st,
      file,
      active,
      pending,
      now,
      overlapMs,
      schemes,
      notes,
      input,
    });
    if (entry) entries.push(entry);
  }
  for (const line of [...input.signer.problems, ...input.verifier.problems]) {
    notes.push({ kind: 'lost', kid: '', message: `refused an entry of a key Secret: ${line}` });
  }

  fillActivation(entries, now);
  return { entries, notes };
}

interface RebuildArgs {
  kid: string;
  st: KeyStatus | undefined;
  file: VerifierKeyFile | undefined;
  active: SignerKeyFile | undefined;
  pending: SignerKeyFile | undefined;
  now: string;
  overlapMs: number;
  schemes: RotationInput['spec']['schemes'];
  notes: Note[];
  input: Input;
}

function rebuild(a: RebuildArgs): KeyEntry | undefined {
  const { kid, st, file, now, schemes, notes } = a;
  const times = timesOf(st);

  if (a.active?.kid === kid) {
    const signer = signerFileFor(a.active, schemes);
    const activatedAt = st?.state === 'Active' ? st.activatedAt : undefined;
    return {
      ...times,
      kid,
      state: 'Active',
      createdAt: st?.createdAt ?? now,
      activatedAt,
      signer,
      verifier: verifierFileFor(signer, schemes),
    };
  }

  if (a.pending?.kid === kid) {
    const signer = signerFileFor(a.pending, schemes);
    if (st?.state !== 'Pending') {
      notes.push({
        kind: 'adopted',
        kid,
        message: `adopted Pending key ${kid} found in the signer Secret (a previous run stopped before recording it)`,
      });
    }
    return {
      kid,
      state: 'Pending',
      createdAt: st?.createdAt ?? now,
      signer,
      verifier: verifierFileFor(signer, schemes),
    };
  }

  if (file) return fromVerifierFile(a, file, times);

  if (!st || st.state === 'Expired') return st ? { ...st } : undefined;
  if (st.state !== 'Retiring' || (st.notAfter !== undefined && st.notAfter > now)) {
    notes.push({
      kind: 'lost',
      kid,
      message: `key ${kid} (${st.state}) is no longer in either Secret; it was removed by someone else`,
    });
  }
  return { ...times, kid, state: 'Expired', expiredAt: now };
}

/** A key only the verifier Secret holds the material of. */
function fromVerifierFile(
  a: RebuildArgs,
  file: VerifierKeyFile,
  times: Partial<KeyStatus>,
): KeyEntry | undefined {
  const { kid, st, now, overlapMs, schemes, notes } = a;
  const verifier = baseVerifierFile(file);

  if (file.state === 'Retiring' || file.not_after !== undefined) {
    const notAfter = file.not_after ? toRfc3339(new Date(file.not_after)) : shift(now, overlapMs);
    const derived = toRfc3339(
      new Date(Math.min(Date.parse(notAfter) - overlapMs, Date.parse(now))),
    );
    return {
      ...times,
      kid,
      state: 'Retiring',
      retiringAt: st?.retiringAt ?? derived,
      notAfter,
      verifier,
    };
  }

  if (file.state === 'Pending') {
    const restored = signerFileFromVerifier(file, schemes);
    if (restored) {
      notes.push({
        kind: 'restored',
        kid,
        message: `restored Pending key ${kid} into the signer Secret from its verifier file`,
      });
      return {
        ...times,
        kid,
        state: 'Pending',
        createdAt: st?.createdAt ?? now,
        signer: restored,
        verifier,
      };
    }
    notes.push({
      kind: 'lost',
      kid,
      message: `the private half of Pending key ${kid} was removed from the signer Secret; a new key replaces it`,
    });
    return { ...times, kid, state: 'Expired', expiredAt: now };
  }

  // Active in the verifier Secret (or no state): replaced if the signer Secret holds another key.
  if (a.active) {
    return {
      ...times,
      kid,
      state: 'Retiring',
      retiringAt: st?.retiringAt ?? now,
      notAfter: st?.notAfter ?? shift(now, overlapMs),
      verifier,
    };
  }
  const restored = signerFileFromVerifier(file, schemes);
  if (restored) {
    notes.push({
      kind: 'restored',
      kid,
      message: `restored Active key ${kid} into the signer Secret from its verifier file`,
    });
  } else {
    notes.push({
      kind: 'lost',
      kid,
      message: `the private half of Active key ${kid} was removed from the signer Secret; rotating to a new key`,
    });
  }
  return {
    ...times,
    kid,
    state: 'Active',
    createdAt: st?.createdAt ?? now,
    signer: restored,
    verifier,
  };
}

/** An Active key whose activation status never recorded took over when its predecessor retired. */
function fillActivation(entries: KeyEntry[], now: string): void {
  const retired = entries
    .filter((e) => e.state === 'Retiring' && e.retiringAt !== undefined)
    .map((e) => e.retiringAt as string)
    .sort();
  for (const entry of entries) {
    if (entry.state === 'Active' && entry.activatedAt === undefined)
      entry.activatedAt = retired.at(-1) ?? now;
  }
}

function orderedKids(input: Input, active?: SignerKeyFile, pending?: SignerKeyFile): string[] {
  const kids = (input.status?.keys ?? []).map((k) => k.kid);
  const more = input.verifier.files.map((f) => f.kid).sort();
  for (const kid of [...more, active?.kid, pending?.kid]) {
    if (kid !== undefined && !kids.includes(kid)) kids.push(kid);
  }
  return kids;
}

function timesOf(st: KeyStatus | undefined): Partial<KeyStatus> {
  if (!st) return {};
  const { createdAt, activatedAt, retiringAt, expiredAt, notAfter } = st;
  return dropUndefined({ createdAt, activatedAt, retiringAt, expiredAt, notAfter });
}

export function shift(time: string, ms: number): string {
  return toRfc3339(new Date(Date.parse(time) + ms));
}

export function dropUndefined<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}
