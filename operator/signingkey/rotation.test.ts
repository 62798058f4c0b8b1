import { describe, expect, it } from 'vitest';

import { toRfc3339 } from '../kube/conditions.ts';
import { EVENT, REASON } from './reasons.ts';
import { START, Sim, testKey } from './testing.ts';

const at = (ms: number) => toRfc3339(new Date(START + ms));

/** A SigningKey with its first key Active (consumers rolled out, nothing pending). */
function withActiveKey(sim = new Sim({ consumers: ['flk-a'] })) {
  sim.run(); // mint the first key
  sim.rollOut();
  sim.run(); // promote it
  const kid = sim.status?.activeKeyId;
  if (!kid) throw new Error('no active key');
  return { sim, kid };
}

describe('the first key', () => {
  it('is minted Pending, published to the verifier Secret and recorded, but not yet signing', () => {
    const sim = new Sim({ consumers: ['flk-a'] });
    const { written } = sim.run();
    const kid = sim.minted[0]!;

    expect(written).toEqual(['signer', 'verifier', 'status']);
    expect(sim.states()).toEqual([`${kid}:Pending`]);
    expect(sim.signerFile('pending.json')?.kid).toBe(kid);
    expect(sim.signerFile('signer.json')).toBeUndefined();
    expect(sim.verifierFiles()[kid]).toMatchObject({ state: 'Pending' });
    expect(sim.condition('Ready')).toMatchObject({
      status: 'False',
      reason: REASON.waitingForRollout,
    });
    expect(sim.condition('Progressing')?.message).toContain(
      'FractalLBA flk-a: its Deployment does not list key',
    );
  });

  it('is promoted once every consumer has rolled it out, never in the run that minted it', () => {
    const sim = new Sim(); // no consumers: the gate is open at once
    sim.run();
    expect(sim.status?.activeKeyId).toBeUndefined();

    sim.run();
    const kid = sim.minted[0]!;
    expect(sim.states()).toEqual([`${kid}:Active`]);
    expect(sim.signerFile('signer.json')?.kid).toBe(kid);
    expect(sim.signerFile('pending.json')).toBeUndefined();
    expect(sim.verifierFiles()[kid]).toEqual(expect.objectContaining({ state: 'Active' }));
    expect(sim.condition('Ready')).toMatchObject({ status: 'True', reason: REASON.keyActive });
    expect(sim.status?.nextRotationTime).toBe(at(40_000));
  });
});

describe('the promotion gate (verifier first)', () => {
  it('waits for a consumer whose Deployment does not list the Pending key', () => {
    const sim = new Sim({ consumers: ['flk-a', 'flk-b'] });
    sim.run();
    sim.rollOut(['flk-a']);
    sim.run();

    expect(sim.state(sim.minted[0]!)).toBe('Pending');
    expect(sim.condition('Progressing')?.message).toMatch(
      /FractalLBA flk-b: its Deployment does not list key/,
    );
    expect(sim.condition('Progressing')?.message).not.toContain('flk-a');
  });

  it('waits for a consumer that lists the key but has not finished rolling out', () => {
    const sim = new Sim({ consumers: ['flk-a'] });
    sim.run();
    sim.startRollout('flk-a');
    sim.run();

    expect(sim.state(sim.minted[0]!)).toBe('Pending');
    expect(sim.condition('Progressing')?.message).toContain(
      'waiting for 1 of 1 replica to become available',
    );
  });

  it('reports Degraded naming the late consumer after rolloutTimeout, and never promotes past it', () => {
    const sim = new Sim({ consumers: ['flk-a', 'flk-late'] });
    sim.run();
    sim.rollOut(['flk-a']);
    sim.advance(29_000);
    sim.run();
    expect(sim.condition('Degraded')?.status).toBe('False');

    sim.advance(1_000);
    const { events } = sim.run();
    expect(sim.condition('Degraded')).toMatchObject({
      status: 'True',
      reason: REASON.rolloutTimedOut,
    });
    expect(sim.condition('Degraded')?.message).toContain('FractalLBA flk-late');
    expect(sim.condition('Degraded')?.message).not.toContain('FractalLBA flk-a:');
    expect(events.map((e) => [e.type, e.reason])).toEqual([['Warning', REASON.rolloutTimedOut]]);

    sim.advance(600_000);
    sim.run();
    expect(sim.state(sim.minted[0]!)).toBe('Pending');

    sim.rollOut();
    const late = sim.run();
    expect(sim.state(sim.minted[0]!)).toBe('Active');
    expect(sim.condition('Degraded')).toMatchObject({ status: 'False', reason: REASON.asExpected });
    expect(late.events.map((e) => e.reason)).toEqual([EVENT.keyActivated, EVENT.recovered]);
  });

  it('asks to run again at the rollout deadline while consumers are waited for', () => {
    const sim = new Sim({ consumers: ['flk-a'] });
    const { output } = sim.run();
    expect(output.requeueAfterMs).toBe(30_000);
  });
});

describe('a scheduled rotation', () => {
  it('starts at activatedAt + rotationInterval and not a second earlier', () => {
    const { sim, kid } = withActiveKey();
    expect(sim.run().output.requeueAfterMs).toBe(40_000);

    sim.advance(39_000);
    expect(sim.run().written).toEqual([]);
    sim.advance(1_000);
    sim.run();

    const next = sim.minted[1]!;
    expect(sim.states()).toEqual([`${kid}:Active`, `${next}:Pending`]);
    expect(sim.verifierFiles()[kid]).toMatchObject({ state: 'Active' });
    expect(sim.verifierFiles()[next]).toMatchObject({ state: 'Pending' });
    expect(sim.signerFile('signer.json')?.kid).toBe(kid);
    expect(sim.signerFile('pending.json')?.kid).toBe(next);
    expect(sim.condition('Ready')?.status).toBe('True');
    expect(sim.condition('Progressing')).toMatchObject({
      status: 'True',
      reason: REASON.waitingForRollout,
    });
  });

  it('retires the previous key with notAfter = promotion + overlap, written into its verifier file', () => {
    const { sim, kid } = withActiveKey();
    sim.advance(40_000);
    sim.run();
    sim.advance(3_000);
    sim.rollOut();
    const { events } = sim.run();
    const next = sim.minted[1]!;

    expect(sim.states()).toEqual([`${kid}:Retiring`, `${next}:Active`]);
    const old = sim.status?.keys?.[0];
    expect(old).toMatchObject({ retiringAt: at(43_000), notAfter: at(63_000) });
    expect(sim.verifierFiles()[kid]).toEqual(
      expect.objectContaining({ state: 'Retiring', not_after: at(63_000) }),
    );
    expect(sim.signerFile('signer.json')?.kid).toBe(next);
    expect(sim.signerFile('pending.json')).toBeUndefined();
    expect(sim.status?.nextRotationTime).toBe(at(83_000));
    expect(events.map((e) => e.reason)).toEqual([EVENT.keyRetiring, EVENT.keyActivated]);
  });

  it('expires the retired key at its notAfter: out of the verifier Secret, kept in status', () => {
    const { sim, kid } = withActiveKey();
    sim.advance(40_000);
    sim.run();
    sim.rollOut();
    const promoted = sim.run();
    expect(promoted.output.requeueAfterMs).toBe(20_000);

    sim.advance(19_000);
    expect(sim.run().written).toEqual([]);
    sim.advance(1_000);
    const { events, written } = sim.run();

    expect(written).toEqual(['verifier', 'status']);
    expect(sim.state(kid)).toBe('Expired');
    expect(sim.status?.keys?.[0]).toMatchObject({ expiredAt: at(60_000) });
    expect(Object.keys(sim.verifierFiles())).toEqual([sim.minted[1]]);
    expect(events.map((e) => e.reason)).toEqual([EVENT.keyExpired]);
  });

  it('keeps at most historyLimit expired keys, dropping the oldest', () => {
    const sim = new Sim({ spec: { historyLimit: 1 } });
    sim.settle();
    for (let i = 0; i < 3; i++) {
      sim.advance(40_000);
      sim.settle();
      sim.advance(20_000);
      sim.settle();
    }
    const expired = sim.status?.keys?.filter((k) => k.state === 'Expired').map((k) => k.kid);
    expect(expired).toEqual([sim.minted[2]]);
    expect(sim.status?.keys?.map((k) => k.state)).toEqual(['Expired', 'Active']);
  });

  it('settles: a run over an unchanged state writes nothing and records no event', () => {
    const { sim } = withActiveKey();
    const before = JSON.stringify([sim.status, sim.signerSecret, sim.verifierSecret]);
    const { written, output } = sim.run();
    expect(written).toEqual([]);
    expect(output.events).toEqual([]);
    expect(JSON.stringify([sim.status, sim.signerSecret, sim.verifierSecret])).toBe(before);
  });
});

describe('the rotate annotation', () => {
  it('starts one rotation at once and is recorded so it fires once', () => {
    const { sim, kid } = withActiveKey();
    sim.annotations['flk.fractal-lba.io/rotate'] = 'now-1';
    const { events } = sim.run();
    const next = sim.minted[1]!;

    expect(sim.state(next)).toBe('Pending');
    expect(sim.status?.lastRotateRequest).toBe('now-1');
    expect(events.map((e) => e.reason)).toEqual([EVENT.keyPending, EVENT.rotationRequested]);
    expect(events[0]?.message).toContain('(requested)');

    sim.rollOut();
    sim.run();
    expect(sim.states()).toEqual([`${kid}:Retiring`, `${next}:Active`]);
    sim.settle();
    expect(sim.minted).toHaveLength(2);
  });

  it('set again during a rotation, starts another rotation after this one is promoted', () => {
    const { sim } = withActiveKey();
    sim.annotations['flk.fractal-lba.io/rotate'] = 'one';
    sim.run();
    sim.annotations['flk.fractal-lba.io/rotate'] = 'two';
    sim.run();
    expect(sim.minted).toHaveLength(2);

    sim.rollOut();
    sim.run(); // promotes the key of "one"
    sim.run(); // mints the key of "two"
    expect(sim.minted).toHaveLength(3);
    expect(sim.status?.lastRotateRequest).toBe('two');
  });

  it('on a new SigningKey, does not add a rotation to the first key', () => {
    const sim = new Sim();
    sim.annotations['flk.fractal-lba.io/rotate'] = 'from-git';
    sim.settle();
    expect(sim.minted).toHaveLength(1);
    expect(sim.status?.lastRotateRequest).toBe('from-git');
  });
});

describe('validation that holds the rotation', () => {
  it('refuses an overlap shorter than a consumer dedup TTL, saying what to change', () => {
    const sim = new Sim({
      consumers: ['flk-long'],
      dedupTtl: '14d',
      spec: { rotationInterval: '30d', overlap: '1d' },
    });
    sim.run();

    expect(sim.minted).toEqual([]);
    const degraded = sim.condition('Degraded');
    expect(degraded).toMatchObject({ status: 'True', reason: REASON.overlapBelowDedupTTL });
    expect(degraded?.message).toContain('FractalLBA flk-long (spec.dedup.ttl 14d)');
    expect(degraded?.message).toContain('Set spec.overlap to at least 336h');
    expect(sim.condition('Ready')?.status).toBe('False');
  });

  it('while held, still expires a Retiring key on time', () => {
    const { sim, kid } = withActiveKey();
    sim.advance(40_000);
    sim.run();
    sim.rollOut();
    sim.run();
    sim.consumers[0]!.dedupTtl = '1h';
    sim.advance(20_000);
    sim.run();

    expect(sim.state(kid)).toBe('Expired');
    expect(sim.condition('Degraded')?.reason).toBe(REASON.overlapBelowDedupTTL);
    sim.advance(40_000);
    sim.run();
    expect(sim.minted).toHaveLength(2);
  });
});

describe('import mode', () => {
  const importSpec = { source: { mode: 'import' as const, secretRef: { name: 'src' } } };

  it('makes the source key Pending, then Active; a changed source rotates verifier-first', () => {
    const sim = new Sim({ spec: importSpec });
    sim.source = { ok: true, signer: testKey(100) };
    sim.settle();
    expect(sim.status?.activeKeyId).toBe(testKey(100).kid);
    expect(sim.status?.nextRotationTime).toBeUndefined();
    expect(sim.condition('Progressing')?.message).toContain('when Secret src changes');

    sim.source = { ok: true, signer: testKey(101) };
    sim.run();
    expect(sim.state(testKey(101).kid)).toBe('Pending');
    sim.run();
    expect(sim.states()).toEqual([`${testKey(100).kid}:Retiring`, `${testKey(101).kid}:Active`]);
    expect(sim.minted).toEqual([]);
  });

  it('holds the rotation while the source is missing or invalid, and never re-imports an expired key', () => {
    const sim = new Sim({ spec: importSpec });
    sim.source = {
      ok: false,
      reason: 'SourceMissing',
      message: 'the import Secret ingest/src does not exist',
    };
    sim.run();
    expect(sim.condition('Degraded')).toMatchObject({
      status: 'True',
      reason: REASON.sourceMissing,
    });

    sim.source = { ok: true, signer: testKey(1) };
    sim.settle();
    sim.source = { ok: true, signer: testKey(2) };
    sim.settle();
    sim.advance(20_000);
    sim.settle();
    expect(sim.state(testKey(1).kid)).toBe('Expired');

    sim.source = { ok: true, signer: testKey(1) };
    sim.run();
    expect(sim.condition('Degraded')).toMatchObject({
      status: 'True',
      reason: REASON.sourceInvalid,
    });
    expect(sim.condition('Degraded')?.message).toContain('already expired');
    expect(sim.status?.activeKeyId).toBe(testKey(2).kid);
  });

  it('records a rotate request without rotating, and says why', () => {
    const sim = new Sim({ spec: importSpec });
    sim.source = { ok: true, signer: testKey(7) };
    sim.settle();
    sim.annotations['flk.fractal-lba.io/rotate'] = 'please';
    const { events } = sim.run();
    expect(sim.status?.lastRotateRequest).toBe('please');
    expect(events.map((e) => e.reason)).toEqual([EVENT.rotationRequestIgnored]);
    expect(sim.status?.keys).toHaveLength(1);
  });
});

describe('nothing secret leaves the Secrets', () => {
  it.each(['ed25519', 'hmac-sha256'] as const)(
    '%s: status and events name keys by kid only',
    (algorithm) => {
      const sim = new Sim({ spec: { algorithm } });
      sim.settle();
      sim.advance(40_000);
      sim.settle();
      sim.advance(20_000);
      sim.settle();

      const material = [sim.signerFile('signer.json'), ...Object.values(sim.verifierFiles())]
        .flatMap((f) => [
          (f as { seed_b64?: string })?.seed_b64,
          (f as { secret_b64?: string })?.secret_b64,
          (f as { public_key_b64?: string })?.public_key_b64,
        ])
        .filter((v): v is string => typeof v === 'string');
      expect(material.length).toBeGreaterThan(0);
      const visible = JSON.stringify([sim.status, sim.events]);
      for (const value of material) {
        expect(visible).not.toContain(value);
        expect(visible).not.toContain(Buffer.from(value, 'base64').toString('hex'));
      }
    },
  );
});
