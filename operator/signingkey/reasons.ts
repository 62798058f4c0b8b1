/**
 * The constant vocabulary of SigningKey status and events. Alerts, Argo CD health checks and
 * `kubectl get events --field-selector reason=...` match on these strings; never build one at
 * run time.
 */
export const CONDITION = {
  ready: 'Ready',
  progressing: 'Progressing',
  degraded: 'Degraded',
} as const;

export const REASON = {
  /** An Active key is in the signer Secret; agents can sign. */
  keyActive: 'KeyActive',
  /** No rotation step is under way; the message gives the next rotation time. */
  idle: 'Idle',
  /** A Pending key waits for every consumer FractalLBA to roll it out. */
  waitingForRollout: 'WaitingForRollout',
  /** A consumer did not roll out the Pending key within spec.rolloutTimeout. */
  rolloutTimedOut: 'RolloutTimedOut',
  /** The spec fails validation; nothing is changed until it is fixed. */
  invalidSpec: 'InvalidSpec',
  /** spec.overlap is shorter than the dedup TTL of a consumer; rotation is held. */
  overlapBelowDedupTTL: 'OverlapBelowDedupTTL',
  /** The import Secret is missing. */
  sourceMissing: 'SourceMissing',
  /** The import Secret holds material the operator refuses (short, weak, malformed). */
  sourceInvalid: 'SourceInvalid',
  /** Key material the protocol needs was removed from a Secret by someone else. */
  keyMaterialLost: 'KeyMaterialLost',
  /** A Secret with the signer or verifier name exists and is not controlled by this SigningKey. */
  secretNotOwned: 'SecretNotOwned',
  /** Writing a Secret or the status failed; retried with backoff. */
  writeFailed: 'WriteFailed',
  /** Degraded is False with this reason when nothing is wrong. */
  asExpected: 'AsExpected',
  /** The paused annotation is set; the operator changes nothing. */
  paused: 'Paused',
} as const;

/** Event reasons, one per transition of a key or of the rotation. */
export const EVENT = {
  /** A new key was minted (or imported) in state Pending and added to the verifier Secret. */
  keyPending: 'KeyPending',
  /** After a restart, a Pending key found in the Secrets was adopted instead of minting another. */
  keyAdopted: 'KeyAdopted',
  /** A Pending key was promoted into the signer Secret. */
  keyActivated: 'KeyActivated',
  /** The previous Active key keeps verifying until its notAfter. */
  keyRetiring: 'KeyRetiring',
  /** A key's overlap ended; it left the verifier Secret. */
  keyExpired: 'KeyExpired',
  /** The rotate annotation was acted on. */
  rotationRequested: 'RotationRequested',
  /** The rotate annotation was recorded but cannot start a rotation (import mode). */
  rotationRequestIgnored: 'RotationRequestIgnored',
  /** A consumer rolled out late; Degraded cleared. */
  recovered: 'Recovered',
} as const;

export type ConditionReason = (typeof REASON)[keyof typeof REASON];
export type EventReason = (typeof EVENT)[keyof typeof EVENT];
