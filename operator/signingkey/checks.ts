/**
 * What holds a rotation back: a spec that conflicts with its consumers (overlap shorter than a
 * dedup TTL), or an import Secret that is missing or unusable. While held, no key is minted or
 * promoted; keys already Retiring still expire on time.
 */
import { canonicalDuration, parseDurationSeconds } from '../api/duration.ts';
import type { ResolvedSigningKeySpec } from '../api/signingkey.ts';
import { REASON, type ConditionReason } from './reasons.ts';
import type { Consumer, KeyEntry, SourceState } from './types.ts';

export interface Hold {
  reason: ConditionReason;
  message: string;
}

/**
 * A consumer remembers a record's outcome for its dedup TTL; a retry inside that time must still
 * verify, or it is refused with 401 although the backend knows the answer. So the overlap (how long
 * a replaced key keeps verifying) must be at least every consumer's TTL.
 */
export function overlapHold(
  spec: ResolvedSigningKeySpec,
  consumers: readonly Consumer[],
): Hold | undefined {
  const overlap = parseDurationSeconds(spec.overlap) ?? 0;
  const short = consumers.filter(
    (c) => c.dedupTtl !== undefined && (parseDurationSeconds(c.dedupTtl) ?? 0) > overlap,
  );
  if (short.length === 0) return undefined;

  const longest = Math.max(...short.map((c) => parseDurationSeconds(c.dedupTtl ?? '') ?? 0));
  const names = short.map((c) => `FractalLBA ${c.name} (spec.dedup.ttl ${c.dedupTtl})`).join(', ');
  return {
    reason: REASON.overlapBelowDedupTTL,
    message:
      `spec.overlap ${spec.overlap} is shorter than the dedup TTL of ${names}: a record retried after ` +
      'the overlap would get 401 while its first outcome is still remembered. Set spec.overlap to at ' +
      `least ${canonicalDuration(`${longest}s`)} (and spec.rotationInterval longer than that), or lower ` +
      'spec.dedup.ttl of those FractalLBAs; no key is minted or promoted until then',
  };
}

/** Import mode: the source must be readable, and must not bring back a key that already expired. */
export function sourceHold(
  source: SourceState | undefined,
  entries: readonly KeyEntry[],
  secretName: string,
): Hold | undefined {
  if (!source) return undefined;
  if (!source.ok) return { reason: source.reason, message: source.message };

  const expired = entries.find((e) => e.kid === source.signer.kid && e.state === 'Expired');
  if (expired) {
    return {
      reason: REASON.sourceInvalid,
      message:
        `Secret ${secretName} holds key ${expired.kid}, which already expired; an expired key is ` +
        'never trusted again: put new key material in the Secret (openssl rand -base64 32)',
    };
  }
  return undefined;
}
