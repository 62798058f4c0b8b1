// DESIGN §2.3 step by step: D̂ as the upper median of pairwise slopes, regime and budget from
// the claimed values, structure failures (202, not accepted) versus warnings (202, accepted).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { computePcsId } from './canonical.ts';
import type { PcsRecord } from './record.ts';
import { buildRecord } from './sign.ts';
import {
  MAX_SCALES,
  classifyRegime,
  computeBudget,
  computeDHat,
  resolveTolerances,
  verifySignals,
  verifyStructure,
} from './signals.ts';

const good = (over: Partial<PcsRecord> = {}): PcsRecord => {
  const rec = { ...buildRecord({ shard_id: 'sig', epoch: 3, now: new Date(0) }), ...over };
  return rec;
};

describe('computeDHat', () => {
  it('takes the upper median of the slopes, not an average', () => {
    // Slopes 0, 0, 5/3, 2.5, 2.5, 5: index floor(6/2) = 3 -> 2.5 (an average would be ~2.08).
    expect(computeDHat([2, 4, 8, 16], { '2': 2, '4': 2, '8': 64, '16': 64 })).toEqual({
      ok: true,
      value: 2.5,
    });
  });

  it('gives exactly the slope for counts on a power law', () => {
    expect(computeDHat([2, 4, 8, 16], { '2': 4, '4': 8, '8': 16, '16': 32 })).toEqual({
      ok: true,
      value: 1,
    });
  });

  it('skips pairs of equal scales', () => {
    expect(computeDHat([2, 2, 4], { '2': 3, '4': 12 })).toEqual({ ok: true, value: 2 });
  });

  it.each([
    [[2, 4, 8], { '2': 3, '4': 7 }, /no count for scale 8/],
    [[2, 4], { '2': 3, '4': 0 }, /N_j\["4"\] = 0 is not positive/],
    [[0, 4], { '0': 3, '4': 5 }, /scale 0 is not positive/],
    [[2], { '2': 3 }, /no slope/],
    [[2, 2], { '2': 3 }, /no slope/],
  ])('fails for scales %j and counts %j', (scales, counts, reason) => {
    const result = computeDHat(scales, counts);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('does not depend on the order of the scales', () => {
    const scaleSet = fc.uniqueArray(fc.integer({ min: 1, max: 4096 }), {
      minLength: 2,
      maxLength: 12,
    });
    fc.assert(
      fc.property(
        scaleSet,
        fc.infiniteStream(fc.integer({ min: 1, max: 1e6 })),
        (scales, counts) => {
          const nj = Object.fromEntries(scales.map((s) => [String(s), counts.next().value]));
          const a = computeDHat(scales, nj);
          const b = computeDHat([...scales].reverse(), nj);
          return a.ok && b.ok && a.value === b.value;
        },
      ),
    );
  });
});

describe('classifyRegime and computeBudget', () => {
  it.each([
    [1.5, 0.7, 'sticky'],
    [1.5000001, 0.7, 'mixed'],
    [1.0, 0.6999, 'mixed'],
    [2.6, 0.9, 'non_sticky'],
    [2.5999, 0.1, 'mixed'],
    [-1, 0.95, 'sticky'],
  ])('D̂ %s, coh★ %s is %s', (d, coh, regime) => {
    expect(classifyRegime(d, coh)).toBe(regime);
  });

  it('weighs and clamps the budget to [0, 1]', () => {
    expect(computeBudget(0.866733469, 0.73, 0.87)).toBeCloseTo(0.285, 12);
    expect(computeBudget(4, 0.95, 0.01)).toBe(1);
    expect(computeBudget(0, 0, 5)).toBe(0);
    expect(computeBudget(0, 0, 1, { base: 0.5 })).toBe(0.5);
  });

  it('keeps a default where a tolerance is given as undefined', () => {
    expect(resolveTolerances({ tolD: undefined, D0: 3 })).toMatchObject({ tolD: 0.15, D0: 3 });
  });
});

describe('verifySignals', () => {
  it('accepts a consistent record without escalation, reporting recomputed values', () => {
    const rec = good();
    const out = verifySignals(rec);
    expect(out).toMatchObject({
      pcs_id: rec.pcs_id,
      accepted: true,
      escalated: false,
      regime: 'sticky',
    });
    expect(out.reason).toBeUndefined();
    expect(out.D_hat).toBe(out.recomputed_D_hat);
    expect(out.budget).toBe(out.recomputed_budget);
    expect(Math.abs(out.recomputed_D_hat - rec.D_hat)).toBeLessThan(1e-9);
  });

  it.each<[string, Partial<PcsRecord>, RegExp]>([
    ['a wrong schema', { schema: 'x' }, /structure: schema/],
    ['a wrong version', { version: '0.2' }, /structure: version/],
    ['an empty shard_id', { shard_id: '' }, /structure: shard_id is empty/],
    ['a negative epoch', { epoch: -1n }, /structure: epoch is negative/],
    ['no scales', { scales: [] }, /structure: scales is empty/],
    [
      'too many scales',
      { scales: Array.from({ length: MAX_SCALES + 1 }, (_, i) => i + 1) },
      /more than 256 scales/,
    ],
    ['an empty merkle_root', { merkle_root: '' }, /structure: merkle_root is empty/],
    ['a pcs_id that is not the recomputed one', { pcs_id: '00' }, /structure: pcs_id/],
    ['a missing count', { N_j: { '2': 3 } }, /D_hat: N_j has no count/],
    ['a claimed D̂ off by more than tolD', { D_hat: 1.1 }, /D_hat: claimed 1.1, recomputed/],
    ['coh★ below 0', { coh_star: -0.01 }, /coh_star: -0.01 is outside/],
    ['coh★ above 1 + tolCoh', { coh_star: 1.0500001 }, /coh_star/],
  ])('refuses %s: accepted=false, escalated=true', (_, over, reason) => {
    const out = verifySignals(good(over));
    expect(out).toMatchObject({ accepted: false, escalated: true });
    expect(out.reason).toMatch(reason);
  });

  it('accepts but escalates a regime or budget that does not follow from the claims', () => {
    const both = verifySignals(good({ regime: 'turbulent', budget: 0.9 }));
    expect(both).toMatchObject({ accepted: true, escalated: true });
    expect(both.reason).toMatch(
      /^regime: claimed "turbulent", computed "sticky"; budget: claimed 0\.9, computed 0\.28/,
    );
  });

  it('takes regime and budget from the claimed D̂, not the recomputed one', () => {
    // Claimed D̂ 1.0 is within tolD of 0.8667 and classifies sticky; budget from 1.0 too.
    const out = verifySignals(good({ D_hat: 1.0 }));
    expect(out).toMatchObject({ accepted: true, escalated: false, regime: 'sticky' });
  });

  it('uses the tolerances it is given', () => {
    expect(verifySignals(good({ D_hat: 1.1 }), { tolD: 0.5 }).accepted).toBe(true);
    expect(verifySignals(good({ coh_star: 1.2 }), { tolCoh: 0.3 }).accepted).toBe(true);
  });

  it('recomputes pcs_id from the exact epoch', () => {
    const rec = good({ epoch: 9007199254740993n });
    rec.pcs_id = computePcsId(rec.merkle_root, rec.epoch, rec.shard_id);
    expect(verifyStructure(rec)).toBeUndefined();
    expect(verifyStructure({ ...rec, epoch: 9007199254740992n })).toMatch(/pcs_id/);
  });
});
