/**
 * Making and signing records, for demos, tests, load scripts and TypeScript agents. The records
 * built here are self-consistent: pcs_id recomputed, D̂ recomputed from the counts, regime and
 * budget derived from them, so a verifier with default tolerances answers 200.
 */
import { createHash } from 'node:crypto';

import { canonicalPayload, computePcsId, quantize9 } from './canonical.ts';
import { ed25519PrivateKeyFromSeed } from './ed25519.ts';
import type { SignerKey } from './keyfile.ts';
import { PCS_SCHEMA, PCS_VERSION } from './record.ts';
import type { PcsFaultTolerance, PcsRecord } from './record.ts';
import { signPayload } from './schemes.ts';
import type { Scheme, SigningMaterial } from './schemes.ts';
import { classifyRegime, computeBudget, computeDHat } from './signals.ts';
import type { Tolerances } from './signals.ts';

/** What {@link buildRecord} needs; everything but shard and epoch has a default. */
export interface BuildOptions {
  shard_id: string;
  epoch: bigint | number;
  /** Default: SHA-256 of "flk demo|<shard_id>|<epoch>", so the same inputs give the same id. */
  merkle_root?: string;
  attempt?: number;
  /** Default: `now` as RFC 3339. */
  sent_at?: string;
  now?: Date;
  seed?: number;
  /** Default [2, 4, 8, 16, 32] with counts 3, 5, 9, 17, 31 (D̂ ≈ 0.8667). */
  scales?: number[];
  N_j?: Record<string, number>;
  /** Default 0.73. */
  coh_star?: number;
  v_star?: number[];
  /** Default 0.87. */
  r?: number;
  ft?: PcsFaultTolerance;
  /** Weights for the budget, when the verifier is configured with other ones. */
  tolerances?: Partial<Tolerances>;
}

/** Signing key given directly rather than as a loaded {@link SignerKey}. */
export interface DirectSigner {
  scheme: Scheme;
  key: SigningMaterial;
}

const DEFAULT_SCALES = [2, 4, 8, 16, 32];
const DEFAULT_COUNTS = [3, 5, 9, 17, 31];

/** Builds a complete, consistent, unsigned record (`sig` is ''). Throws on unusable counts. */
export function buildRecord(opts: BuildOptions): PcsRecord {
  const epoch = BigInt(opts.epoch);
  const scales = opts.scales ?? DEFAULT_SCALES;
  const counts =
    opts.N_j ?? Object.fromEntries(DEFAULT_SCALES.map((s, i) => [String(s), DEFAULT_COUNTS[i]!]));
  const dHat = computeDHat(scales, counts);
  if (!dHat.ok) throw new RangeError(`buildRecord: cannot compute D_hat: ${dHat.reason}`);

  const coh_star = opts.coh_star ?? 0.73;
  const r = opts.r ?? 0.87;
  const D_hat = quantize9(dHat.value);
  const merkle_root =
    opts.merkle_root ??
    createHash('sha256').update(`flk demo|${opts.shard_id}|${epoch}`, 'utf8').digest('hex');
  const rec: PcsRecord = {
    pcs_id: computePcsId(merkle_root, epoch, opts.shard_id),
    schema: PCS_SCHEMA,
    version: PCS_VERSION,
    shard_id: opts.shard_id,
    epoch,
    attempt: opts.attempt ?? 1,
    sent_at: opts.sent_at ?? (opts.now ?? new Date()).toISOString(),
    seed: opts.seed ?? 0,
    scales: [...scales],
    N_j: { ...counts },
    coh_star,
    v_star: opts.v_star ?? [0.1, 0.2, 0.97],
    D_hat,
    r,
    regime: classifyRegime(D_hat, coh_star),
    budget: quantize9(computeBudget(D_hat, coh_star, r, opts.tolerances)),
    merkle_root,
    sig: '',
  };
  if (opts.ft !== undefined) rec.ft = opts.ft;
  return rec;
}

/** Returns a copy of `rec` with `sig` set over its canonical payload. */
export function signRecord(rec: PcsRecord, signer: SignerKey | DirectSigner): PcsRecord {
  const [scheme, key] =
    'material' in signer ? [signer.scheme, signer.material] : [signer.scheme, signer.key];
  return { ...rec, sig: signPayload(scheme, key, canonicalPayload(rec)) };
}

/** HMAC key material from a secret; a string is taken as UTF-8, as the reference agent does. */
export function hmacMaterial(secret: string | Uint8Array): SigningMaterial {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  return { alg: 'hmac-sha256', secret: bytes };
}

/** Ed25519 key material from a 32-byte seed. */
export function ed25519Material(seed: Uint8Array): SigningMaterial {
  return { alg: 'ed25519', privateKey: ed25519PrivateKeyFromSeed(seed) };
}
