/** The rotation state machine's input and output (rotation.ts), plain data only. */
import type { SignerKeyFile, VerifierKeyFile } from '../../pcs/keyfile.ts';
import type { KeyStatus, ResolvedSigningKeySpec, SigningKeyStatus } from '../api/signingkey.ts';
import type { EventType } from '../kube/events.ts';
import type { ConditionReason, EventReason } from './reasons.ts';
import type { SignerSecretState, SigningKeyRef, VerifierSecretState } from './secrets.ts';

/** One key as the state machine tracks it: its status entry plus the material it still has. */
export interface KeyEntry extends KeyStatus {
  /** Private material, kept while the key is Pending or Active (from the signer Secret). */
  signer?: SignerKeyFile;
  /** What backends verify with (no state, no window), kept until the key expires. */
  verifier?: VerifierKeyFile;
}

/** Where a consumer's backend Deployment stands, as far as the promotion gate cares. */
export interface ConsumerRollout {
  /** Key ids the Deployment's pod template lists (annotation flk.fractal-lba.io/key-ids). */
  keyIds: string[];
  /** observedGeneration caught up, every replica updated and available, no old pods left. */
  complete: boolean;
  /** What is awaited, for the status message ("Deployment x: 1 of 2 replicas updated"). */
  message: string;
}

/** A FractalLBA in the same namespace whose spec.signing.keyRefs names this SigningKey. */
export interface Consumer {
  name: string;
  /** Its spec.dedup.ttl with defaults applied; undefined when its spec does not resolve. */
  dedupTtl?: string;
  rollout: ConsumerRollout;
}

/** The import Secret, read and checked (import mode only). */
export type SourceState =
  | { ok: true; signer: SignerKeyFile }
  | { ok: false; reason: 'SourceMissing' | 'SourceInvalid'; message: string };

export interface RotationInput {
  now: Date;
  owner: SigningKeyRef;
  generation?: number;
  spec: ResolvedSigningKeySpec;
  /** Value of the rotate annotation, if set. */
  rotateRequest?: string;
  /** Status as persisted (never the output of a previous run that was not written). */
  status?: SigningKeyStatus;
  signer: SignerSecretState;
  verifier: VerifierSecretState;
  consumers: readonly Consumer[];
  /** Import mode: the source Secret's key. */
  source?: SourceState;
  /** Mints a new key (generate mode); injected so tests control randomness. */
  mint: () => SignerKeyFile;
}

export interface PlannedEvent {
  type: EventType;
  /** A constant of reasons.ts: an event reason, or a condition reason for Degraded events. */
  reason: EventReason | ConditionReason;
  message: string;
}

export interface RotationOutput {
  status: SigningKeyStatus;
  /** Desired content of the signer Secret. */
  signer: { active?: SignerKeyFile; pending?: SignerKeyFile };
  /** Desired verifier files, one per key still inside its window. */
  verifierFiles: VerifierKeyFile[];
  /** Events for the transitions this run makes, recorded once status is written. */
  events: PlannedEvent[];
  /** Run again after this long (scheduled rotation, end of a window, rollout deadline). */
  requeueAfterMs?: number;
  /** The kid this run minted, if any (the controller double-checks the signer Secret first). */
  minted?: string;
}
