import { describe, expect, it } from 'vitest';

import { findCondition, setCondition } from './conditions.ts';

const t0 = new Date('2030-01-01T00:00:00.123Z');
const t1 = new Date('2030-01-01T00:05:00Z');

describe('setCondition', () => {
  it('adds a missing condition with the time of now and the generation', () => {
    const list = setCondition(
      [],
      { type: 'Ready', status: 'False', reason: 'A', message: 'a' },
      3,
      t0,
    );

    expect(list).toEqual([
      {
        type: 'Ready',
        status: 'False',
        reason: 'A',
        message: 'a',
        observedGeneration: 3,
        lastTransitionTime: '2030-01-01T00:00:00Z',
      },
    ]);
  });

  it('keeps lastTransitionTime when only the reason or message changes', () => {
    const first = setCondition(
      [],
      { type: 'Ready', status: 'False', reason: 'A', message: 'a' },
      1,
      t0,
    );
    const second = setCondition(
      first,
      { type: 'Ready', status: 'False', reason: 'B', message: 'b' },
      2,
      t1,
    );

    expect(second[0]).toMatchObject({
      reason: 'B',
      observedGeneration: 2,
      lastTransitionTime: '2030-01-01T00:00:00Z',
    });
  });

  it('moves lastTransitionTime when the status flips', () => {
    const first = setCondition(
      [],
      { type: 'Ready', status: 'False', reason: 'A', message: 'a' },
      1,
      t0,
    );
    const second = setCondition(
      first,
      { type: 'Ready', status: 'True', reason: 'A', message: 'a' },
      1,
      t1,
    );

    expect(findCondition(second, 'Ready')?.lastTransitionTime).toBe('2030-01-01T00:05:00Z');
  });

  it('keeps the other conditions and their order', () => {
    let list = setCondition(
      [],
      { type: 'Ready', status: 'False', reason: 'A', message: '' },
      1,
      t0,
    );
    list = setCondition(
      list,
      { type: 'Degraded', status: 'False', reason: 'A', message: '' },
      1,
      t0,
    );
    list = setCondition(list, { type: 'Ready', status: 'True', reason: 'B', message: '' }, 1, t1);

    expect(list.map((c) => `${c.type}=${c.status}`)).toEqual(['Ready=True', 'Degraded=False']);
  });
});
