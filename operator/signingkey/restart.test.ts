/**
 * The operator killed between any two persisted steps of a rotation: the next run (a restarted
 * operator, which remembers nothing) must resume where it stood — no step skipped, none repeated,
 * no second key minted — and every intermediate state must keep agents and backends working.
 */
import { describe, expect, it } from 'vitest';

import { toRfc3339 } from '../kube/conditions.ts';
import { EVENT } from './reasons.ts';
import { START, Sim } from './testing.ts';

const at = (ms: number) => toRfc3339(new Date(START + ms));

/**
 * Invariants of every persisted state, checked after each single write: the key agents sign with
 * is always in the verifier set and inside its window (verifier first), and there is at most one
 * Pending key.
 */
function guard(sim: Sim): string[] {
  const violations: string[] = [];
  sim.afterEachWrite = (what) => {
    const signing = sim.signerFile('signer.json')?.kid;
    const files = sim.verifierFiles();
    if (signing !== undefined) {
      const file = files[signing];
      if (!file)
        violations.push(`after ${what}: agents sign with ${signing}, which no backend has`);
      else if (file.not_after !== undefined && file.not_after <= toRfc3339(new Date(sim.now))) {
        violations.push(`after ${what}: agents sign with ${signing}, whose window has ended`);
      }
    }
    const pending = (sim.status?.keys ?? []).filter((k) => k.state === 'Pending');
    if (pending.length > 1) violations.push(`after ${what}: ${pending.length} keys Pending`);
  };
  return violations;
}

/** The whole life of two keys, each phase run to a standstill with `crashAfter` writes per run. */
function lifecycle(crashAfter: number, consumers = ['flk-a', 'flk-b']) {
  const sim = new Sim({ consumers });
  const violations = guard(sim);
  const phases: string[][] = [];
  const phase = () => {
    sim.settle(crashAfter, 40);
    phases.push(sim.states());
  };

  phase(); // first key Pending
  sim.rollOut();
  phase(); // first key Active
  sim.advance(40_000);
  phase(); // second key Pending
  sim.rollOut();
  phase(); // second Active, first Retiring
  sim.advance(20_000);
  phase(); // first Expired
  return { sim, phases, violations };
}

describe('killed between any two writes, the rotation resumes', () => {
  const clean = lifecycle(Infinity);

  it.each([1, 2])(
    'with only %i write(s) landing per run, the same keys go through the same states',
    (crashAfter) => {
      const crashed = lifecycle(crashAfter);
      expect(crashed.violations).toEqual([]);
      expect(crashed.sim.minted).toEqual(clean.sim.minted);
      expect(crashed.phases).toEqual(clean.phases);
      expect(crashed.sim.status?.keys).toEqual(clean.sim.status?.keys);
      expect(crashed.sim.signerSecret).toEqual(clean.sim.signerSecret);
      expect(crashed.sim.verifierSecret).toEqual(clean.sim.verifierSecret);
    },
  );

  it.each([1, 2])(
    'with no consumer (the gate open at once) and %i write(s) per run, a key is published before it signs',
    (crashAfter) => {
      const crashed = lifecycle(crashAfter, []);
      expect(crashed.violations).toEqual([]);
      expect(crashed.phases).toEqual(lifecycle(Infinity, []).phases);
    },
  );

  it('the clean run keeps the invariants too, and mints exactly one key per rotation', () => {
    expect(clean.violations).toEqual([]);
    expect(clean.sim.minted).toHaveLength(2);
    const [first, second] = clean.sim.minted;
    expect(clean.phases).toEqual([
      [`${first}:Pending`],
      [`${first}:Active`],
      [`${first}:Active`, `${second}:Pending`],
      [`${first}:Retiring`, `${second}:Active`],
      [`${first}:Expired`, `${second}:Active`],
    ]);
  });
});

/** A SigningKey whose first key is Active, then a rotation minted by the schedule. */
function rotating() {
  const sim = new Sim({ consumers: ['flk-a'] });
  sim.settle();
  sim.rollOut();
  sim.settle();
  return sim;
}

describe('killed at each point of a mint', () => {
  it('after the signer Secret got pending.json: the next run publishes that key, it does not mint another', () => {
    const sim = rotating();
    sim.advance(40_000);
    expect(sim.run(1).written).toEqual(['signer']);
    const pendingKid = sim.signerFile('pending.json')?.kid;
    expect(sim.verifierKids()).not.toContain(pendingKid);

    sim.advance(5_000); // the operator is down for a while
    const resumed = sim.run();
    expect(resumed.written).toEqual(['verifier', 'status']);
    expect(sim.minted).toHaveLength(2);
    expect(sim.state(pendingKid!)).toBe('Pending');
    expect(sim.verifierFiles()[pendingKid!]).toMatchObject({ state: 'Pending' });
    expect(resumed.events.map((e) => e.reason)).toEqual([EVENT.keyAdopted]);
  });

  it('after the verifier Secret got the key: the next run records it in status (adopted)', () => {
    const sim = rotating();
    sim.advance(40_000);
    expect(sim.run(2).written).toEqual(['signer', 'verifier']);
    const pendingKid = sim.signerFile('pending.json')?.kid;

    sim.advance(5_000);
    const resumed = sim.run();
    expect(resumed.written).toEqual(['status']);
    expect(sim.minted).toHaveLength(2);
    expect(sim.status?.keys?.find((k) => k.kid === pendingKid)).toMatchObject({
      state: 'Pending',
      createdAt: at(45_000),
    });
  });

  it('killed at the same point again and again, still only one key is ever minted', () => {
    const sim = rotating();
    sim.advance(40_000);
    for (let i = 0; i < 5; i++) {
      sim.run(1);
      sim.advance(1_000);
    }
    sim.settle();
    expect(sim.minted).toHaveLength(2);
    expect(sim.status?.keys?.map((k) => k.state)).toEqual(['Active', 'Pending']);
  });

  it('before anything was written: nothing was persisted, so minting again is the first mint', () => {
    const sim = rotating();
    sim.advance(40_000);
    sim.run(0);
    expect(sim.signerFile('pending.json')).toBeUndefined();
    sim.settle();
    expect(sim.status?.keys?.map((k) => k.state)).toEqual(['Active', 'Pending']);
    expect(sim.verifierKids()).toHaveLength(2);
  });
});

describe('killed at each point of a promotion', () => {
  function pendingReady() {
    const sim = rotating();
    sim.advance(40_000);
    sim.settle();
    sim.rollOut();
    sim.advance(2_000); // promotion at 42s
    return { sim, old: sim.minted[0]!, next: sim.minted[1]! };
  }

  it('after the signer Secret switched: the old key retires from the restart, never earlier', () => {
    const { sim, old, next } = pendingReady();
    expect(sim.run(1).written).toEqual(['signer']);
    expect(sim.signerFile('signer.json')?.kid).toBe(next);
    expect(sim.verifierFiles()[old]).toMatchObject({ state: 'Active' });

    sim.advance(5_000); // restart at 47s
    const resumed = sim.run();
    expect(resumed.written).toEqual(['verifier', 'status']);
    expect(sim.verifierFiles()[old]).toMatchObject({ state: 'Retiring', not_after: at(67_000) });
    expect(sim.status?.keys).toEqual([
      expect.objectContaining({
        kid: old,
        state: 'Retiring',
        retiringAt: at(47_000),
        notAfter: at(67_000),
      }),
      expect.objectContaining({ kid: next, state: 'Active', activatedAt: at(47_000) }),
    ]);
    expect(resumed.events.map((e) => e.reason)).toEqual([EVENT.keyRetiring, EVENT.keyActivated]);
  });

  it('after the verifier Secret got the window: status takes notAfter from the verifier file', () => {
    const { sim, old, next } = pendingReady();
    expect(sim.run(2).written).toEqual(['signer', 'verifier']);

    sim.advance(5_000);
    sim.run();
    expect(sim.status?.keys).toEqual([
      expect.objectContaining({
        kid: old,
        state: 'Retiring',
        retiringAt: at(42_000),
        notAfter: at(62_000),
      }),
      expect.objectContaining({ kid: next, state: 'Active', activatedAt: at(42_000) }),
    ]);
    expect(sim.status?.nextRotationTime).toBe(at(82_000));
  });
});

describe('killed during an expiry', () => {
  it('after the verifier Secret dropped the key: the next run records it Expired', () => {
    const sim = rotating();
    sim.advance(40_000);
    sim.settle();
    sim.rollOut();
    sim.settle();
    sim.advance(20_000);
    expect(sim.run(1).written).toEqual(['verifier']);
    const old = sim.minted[0]!;
    expect(sim.state(old)).toBe('Retiring');

    sim.advance(3_000);
    const resumed = sim.run();
    expect(sim.state(old)).toBe('Expired');
    expect(resumed.events.map((e) => e.reason)).toEqual([EVENT.keyExpired]);
  });
});

describe('a Secret changed behind the operator', () => {
  it('a deleted verifier Secret is rebuilt from the signer Secret; the lost Retiring key expires early, with a warning', () => {
    const sim = rotating();
    sim.advance(40_000);
    sim.settle();
    sim.rollOut();
    sim.settle();
    sim.verifierSecret = undefined;

    const { events } = sim.run();
    expect(sim.verifierKids()).toEqual([sim.minted[1]]);
    expect(sim.verifierFiles()[sim.minted[1]!]).toMatchObject({ state: 'Active' });
    expect(sim.state(sim.minted[0]!)).toBe('Expired');
    expect(events.map((e) => [e.type, e.reason])).toContainEqual(['Warning', 'KeyMaterialLost']);
  });

  it('a deleted Ed25519 signer Secret: Degraded, and a replacement key is rotated in verifier-first', () => {
    const sim = rotating();
    sim.signerSecret = undefined;
    sim.run();
    expect(sim.condition('Degraded')).toMatchObject({ status: 'True', reason: 'KeyMaterialLost' });
    expect(sim.minted).toHaveLength(2);
    expect(sim.status?.activeKeyId).toBeUndefined();

    sim.rollOut();
    sim.settle();
    expect(sim.status?.activeKeyId).toBe(sim.minted[1]);
    expect(sim.condition('Degraded')?.status).toBe('False');
  });

  it('a deleted HMAC signer Secret is rebuilt from the verifier Secret (it holds the same secret)', () => {
    const sim = new Sim({ spec: { algorithm: 'hmac-sha256' } });
    sim.settle();
    const before = sim.signerFile('signer.json');
    sim.signerSecret = undefined;
    sim.settle();
    expect(sim.signerFile('signer.json')).toEqual(before);
    expect(sim.minted).toHaveLength(1);
  });
});
