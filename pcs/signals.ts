/**
 * Verification of a record's signals after its signature passed (DESIGN §2.3).
 *
 * Steps 1-3 (structure, D̂ recomputation, coh★ range) decide `accepted`: a failure is
 * accepted=false, escalated=true (HTTP 202). Steps 4-5 (regime, budget) are computed from the
 * record's own claimed D̂ and coh★; a disagreement keeps accepted=true but escalates. Only a
 * record that passes everything is accepted and not escalated (HTTP 200).
 */
import { computePcsId } from './canonical.ts';
import { quoteForMessage } from './json.ts';
import { PCS_SCHEMA, PCS_VERSION } from './record.ts';
import type { PcsRecord, Regime } from './record.ts';

/** Verification tolerances and budget weights (DESIGN §2.3; all configurable). */
export interface Tolerances {
  /** Largest accepted |claimed D̂ - recomputed D̂|. */
  tolD: number;
  /** coh★ may exceed 1 by this much. */
  tolCoh: number;
  alpha: number;
  beta: number;
  gamma: number;
  base: number;
  D0: number;
}

/** The defaults of DESIGN §2.3. */
export const DEFAULT_TOLERANCES: Readonly<Tolerances> = Object.freeze({
  tolD: 0.15,
  tolCoh: 0.05,
  alpha: 0.3,
  beta: 0.5,
  gamma: 0.2,
  base: 0.1,
  D0: 2.2,
});

/** A claimed budget may differ from the recomputed one by this much before it is escalated. */
export const BUDGET_TOLERANCE = 0.01;

/** Pairs of log-scales closer than this are skipped (their slope is meaningless). */
export const MIN_LOG_SCALE_GAP = 1e-9;

/**
 * Most scales a record may carry. D̂ takes all n(n-1)/2 slopes, so the count is bounded to keep
 * one record's cost small (256 scales: 32,640 slopes, well under a millisecond); agents send a
 * handful. More is a structure failure, not an error.
 */
export const MAX_SCALES = 256;

/** The verifier's verdict on one record; `D_hat` and `budget` are the recomputed values. */
export interface Outcome {
  pcs_id: string;
  accepted: boolean;
  escalated: boolean;
  /** Why the record was escalated; absent when it was not. */
  reason?: string;
  /** The regime the verifier classifies from the claimed D̂ and coh★. */
  regime: Regime;
  D_hat: number;
  budget: number;
  /** Recomputed D̂, or 0 when it cannot be computed (the reason then says why). */
  recomputed_D_hat: number;
  recomputed_budget: number;
}

/** Result of {@link computeDHat}. */
export type DHatResult = { ok: true; value: number } | { ok: false; reason: string };

/**
 * D̂ from the scale counts: the points (log2 scale, log2 N_j), every pairwise slope with
 * |dx| >= 1e-9, sorted, and the element at index floor(n/2) (the upper median, not an average).
 */
export function computeDHat(
  scales: readonly number[],
  counts: Readonly<Record<string, number>>,
): DHatResult {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const scale of scales) {
    const n = Object.hasOwn(counts, String(scale)) ? counts[String(scale)] : undefined;
    if (!(scale > 0)) return { ok: false, reason: `scale ${scale} is not positive` };
    if (n === undefined) return { ok: false, reason: `N_j has no count for scale ${scale}` };
    if (!(n > 0)) return { ok: false, reason: `N_j["${scale}"] = ${n} is not positive` };
    xs.push(Math.log2(scale));
    ys.push(Math.log2(n));
  }

  const slopes: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) {
      const dx = xs[j]! - xs[i]!;
      if (Math.abs(dx) >= MIN_LOG_SCALE_GAP) slopes.push((ys[j]! - ys[i]!) / dx);
    }
  }
  if (slopes.length === 0) return { ok: false, reason: 'fewer than two distinct scales, no slope' };
  slopes.sort((a, b) => a - b);
  return { ok: true, value: slopes[Math.floor(slopes.length / 2)]! };
}

/** Step 4: `sticky` if coh★ >= 0.70 and D̂ <= 1.5; `non_sticky` if D̂ >= 2.6; else `mixed`. */
export function classifyRegime(dHat: number, cohStar: number): Regime {
  if (cohStar >= 0.7 && dHat <= 1.5) return 'sticky';
  if (dHat >= 2.6) return 'non_sticky';
  return 'mixed';
}

/** Step 5: base + alpha(1 - r) + beta·max(0, D̂ - D0) + gamma·coh★, clamped to [0, 1]. */
export function computeBudget(
  dHat: number,
  cohStar: number,
  r: number,
  tol: Partial<Tolerances> = {},
): number {
  const t = resolveTolerances(tol);
  const raw = t.base + t.alpha * (1 - r) + t.beta * Math.max(0, dHat - t.D0) + t.gamma * cohStar;
  return Math.min(1, Math.max(0, raw));
}

/** Step 1: the first structural problem of a record, or undefined. */
export function verifyStructure(rec: PcsRecord): string | undefined {
  if (rec.schema !== PCS_SCHEMA) return `schema must be "${PCS_SCHEMA}"`;
  if (rec.version !== PCS_VERSION) return `version must be "${PCS_VERSION}"`;
  if (rec.shard_id === '') return 'shard_id is empty';
  if (rec.epoch < 0n) return 'epoch is negative';
  if (rec.scales.length === 0) return 'scales is empty';
  if (rec.scales.length > MAX_SCALES) return `more than ${MAX_SCALES} scales`;
  if (rec.merkle_root === '') return 'merkle_root is empty';
  let expected: string;
  try {
    expected = computePcsId(rec.merkle_root, rec.epoch, rec.shard_id);
  } catch (err) {
    return `pcs_id cannot be recomputed: ${(err as Error).message}`;
  }
  return rec.pcs_id === expected ? undefined : 'pcs_id is not the recomputed id';
}

/** Verifies a record's signals (steps 1-5). Never throws. */
export function verifySignals(rec: PcsRecord, tol: Partial<Tolerances> = {}): Outcome {
  const t = resolveTolerances(tol);
  const regime = classifyRegime(rec.D_hat, rec.coh_star);
  const budget = computeBudget(rec.D_hat, rec.coh_star, rec.r, t);
  const structure = verifyStructure(rec);
  const dHat = structure === undefined ? computeDHat(rec.scales, rec.N_j) : undefined;
  const recomputed = dHat?.ok ? dHat.value : 0;
  const outcome = (accepted: boolean, reasons: string[]): Outcome => {
    const out: Outcome = {
      pcs_id: rec.pcs_id,
      accepted,
      escalated: reasons.length > 0,
      regime,
      D_hat: recomputed,
      budget,
      recomputed_D_hat: recomputed,
      recomputed_budget: budget,
    };
    if (reasons.length > 0) out.reason = reasons.join('; ');
    return out;
  };

  if (structure !== undefined) return outcome(false, [`structure: ${structure}`]);
  if (dHat === undefined || !dHat.ok) return outcome(false, [`D_hat: ${dHat?.reason}`]);
  if (Math.abs(rec.D_hat - dHat.value) > t.tolD) {
    return outcome(false, [
      `D_hat: claimed ${rec.D_hat}, recomputed ${dHat.value} (tolerance ${t.tolD})`,
    ]);
  }
  if (!(rec.coh_star >= 0 && rec.coh_star <= 1 + t.tolCoh)) {
    return outcome(false, [`coh_star: ${rec.coh_star} is outside [0, ${1 + t.tolCoh}]`]);
  }

  const warnings: string[] = [];
  if (rec.regime !== regime)
    warnings.push(`regime: claimed ${quoteForMessage(rec.regime)}, computed "${regime}"`);
  if (Math.abs(rec.budget - budget) > BUDGET_TOLERANCE) {
    warnings.push(`budget: claimed ${rec.budget}, computed ${budget}`);
  }
  return outcome(true, warnings);
}

/** Defaults overlaid with the given values; an explicit `undefined` keeps the default. */
export function resolveTolerances(tol: Partial<Tolerances>): Tolerances {
  const out: Tolerances = { ...DEFAULT_TOLERANCES };
  for (const key of Object.keys(out) as (keyof Tolerances)[]) {
    const v = tol[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}
