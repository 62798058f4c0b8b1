import { describe, expect, it } from 'vitest';

import type { FractalLBAStatus } from '../api/fractallba.ts';
import { computeStatus, pausedStatus } from './status.ts';

const now = new Date('2030-01-01T00:00:00Z');
const complete = {
  state: 'complete' as const,
  message: '1 of 1 replica available',
  counts: { replicas: 1, readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1 },
};

describe('computeStatus', () => {
  it('summarises a finished rollout as Ready, with counts, key ids and the Service URL', () => {
    const status = computeStatus({
      previous: undefined,
      generation: 4,
      outcome: { kind: 'applied', rollout: complete },
      now,
      keyIds: ['a', 'b'],
      serviceURL: 'http://demo.ns.svc:80',
    });

    expect(status).toEqual({
      observedGeneration: 4,
      replicas: 1,
      readyReplicas: 1,
      updatedReplicas: 1,
      availableReplicas: 1,
      keyIds: ['a', 'b'],
      serviceURL: 'http://demo.ns.svc:80',
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Available',
          message: '1 of 1 replica available',
          observedGeneration: 4,
          lastTransitionTime: '2030-01-01T00:00:00Z',
        },
        {
          type: 'Progressing',
          status: 'False',
          reason: 'RolloutComplete',
          message: '1 of 1 replica available',
          observedGeneration: 4,
          lastTransitionTime: '2030-01-01T00:00:00Z',
        },
        {
          type: 'Degraded',
          status: 'False',
          reason: 'AsExpected',
          message: 'nothing needs attention',
          observedGeneration: 4,
          lastTransitionTime: '2030-01-01T00:00:00Z',
        },
      ],
    });
  });

  it('keeps the key ids of the previous rollout while a new one is under way', () => {
    const previous: FractalLBAStatus = { keyIds: ['old'] };
    const status = computeStatus({
      previous,
      generation: 2,
      outcome: {
        kind: 'applied',
        rollout: { ...complete, state: 'progressing', message: 'waiting' },
      },
      now,
      keyIds: ['old', 'new'],
    });

    expect(status.keyIds).toEqual(['old']);
  });

  it('makes an invalid spec Degraded and not Ready, listing every error', () => {
    const status = computeStatus({
      previous: undefined,
      generation: 1,
      outcome: { kind: 'invalid', errors: ['spec.a: bad', 'spec.b: worse'] },
      now,
    });
    const byType = Object.fromEntries(status.conditions!.map((c) => [c.type, c]));

    expect(byType.Degraded).toMatchObject({
      status: 'True',
      reason: 'InvalidSpec',
      message: expect.stringContaining('spec.a: bad; spec.b: worse'),
    });
    expect(byType.Ready).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(byType.Progressing).toMatchObject({ status: 'False' });
  });

  it('is Progressing, not Degraded, while it waits for keys', () => {
    const status = computeStatus({
      previous: undefined,
      generation: 1,
      outcome: {
        kind: 'waiting',
        reason: 'WaitingForKeys',
        message: 'waiting for Secret ns/k-verifier',
      },
      now,
    });

    expect(status.conditions!.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'False', 'WaitingForKeys'],
      ['Progressing', 'True', 'WaitingForKeys'],
      ['Degraded', 'False', 'AsExpected'],
    ]);
  });

  it('is Degraded and stops progressing on a terminal failure, and says it retries on a transient one', () => {
    const terminal = computeStatus({
      previous: undefined,
      generation: 1,
      outcome: { kind: 'failed', reason: 'ApplyFailed', message: 'no', terminal: true },
      now,
    });
    const transient = computeStatus({
      previous: undefined,
      generation: 1,
      outcome: { kind: 'failed', reason: 'ApplyFailed', message: 'no', terminal: false },
      now,
    });

    expect(terminal.conditions![1]).toMatchObject({ type: 'Progressing', status: 'False' });
    expect(transient.conditions![1]).toMatchObject({
      type: 'Progressing',
      status: 'True',
      message: 'no; retrying with backoff',
    });
  });
});

describe('pausedStatus', () => {
  it('changes only Progressing, and leaves observedGeneration where it was', () => {
    const before = computeStatus({
      previous: undefined,
      generation: 1,
      outcome: { kind: 'applied', rollout: complete },
      now,
    });

    const paused = pausedStatus(before, 2, now);

    expect(paused.observedGeneration).toBe(1);
    expect(paused.conditions!.find((c) => c.type === 'Ready')).toEqual(
      before.conditions!.find((c) => c.type === 'Ready'),
    );
    expect(paused.conditions!.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'Paused',
      observedGeneration: 2,
    });
  });
});
