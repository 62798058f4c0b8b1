import { describe, expect, it } from 'vitest';

import { APPLIED_HASH_ANNOTATION } from '../kube/apply.ts';
import type { KubeObject } from '../kube/types.ts';
import { assessRollout, withClaimHint } from './rollout.ts';

function deployment(
  spec: { replicas?: number },
  status: Record<string, unknown>,
  generation = 2,
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'demo', generation, annotations: { [APPLIED_HASH_ANNOTATION]: 'h1' } },
    spec,
    status: { observedGeneration: generation, ...status },
  };
}

const all = (n: number) => ({
  replicas: n,
  updatedReplicas: n,
  readyReplicas: n,
  availableReplicas: n,
});

describe('assessRollout', () => {
  it.each([
    [
      'waits for the Deployment to exist',
      undefined,
      'absent',
      'waiting for Deployment demo to be created',
    ],
    [
      'waits for the Deployment controller to see the new generation',
      deployment({ replicas: 2 }, { ...all(2), observedGeneration: 1 }),
      'progressing',
      'waiting for the Deployment controller to observe generation 2 of Deployment demo',
    ],
    [
      'counts replicas still to be updated',
      deployment({ replicas: 2 }, { ...all(2), updatedReplicas: 1 }),
      'progressing',
      'waiting for 1 of 2 replicas to be updated',
    ],
    [
      'counts old replicas still running',
      deployment({ replicas: 2 }, { ...all(2), replicas: 3 }),
      'progressing',
      'waiting for 1 old replica to terminate',
    ],
    [
      'counts replicas not yet available',
      deployment({ replicas: 2 }, { ...all(2), availableReplicas: 1 }),
      'progressing',
      'waiting for 1 of 2 replicas to become available',
    ],
    [
      'is done when every replica is available',
      deployment({ replicas: 2 }, all(2)),
      'complete',
      '2 of 2 replicas available',
    ],
    [
      'is done at zero replicas',
      deployment({ replicas: 0 }, all(0)),
      'complete',
      'Deployment demo is scaled to 0 replicas',
    ],
  ])('%s', (_title, obj, state, message) => {
    const rollout = assessRollout(obj, 'demo', 'h1');

    expect(rollout.state).toBe(state);
    expect(rollout.message).toBe(message);
  });

  it('is stalled past the progress deadline, quoting the Deployment and saying where to look', () => {
    const d = deployment(
      { replicas: 1 },
      {
        ...all(1),
        availableReplicas: 0,
        conditions: [
          {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: 'ReplicaSet "demo-1" has timed out progressing.',
          },
        ],
      },
    );

    const rollout = assessRollout(d, 'demo', 'h1');

    expect(rollout.state).toBe('stalled');
    expect(rollout.message).toContain('ReplicaSet "demo-1" has timed out progressing.');
    expect(rollout.message).toContain('kubectl describe pods');
  });

  it('reports pods the Deployment cannot create', () => {
    const d = deployment(
      { replicas: 1 },
      {
        replicas: 0,
        conditions: [
          {
            type: 'ReplicaFailure',
            status: 'True',
            reason: 'FailedCreate',
            message: 'pods "demo-x" is forbidden: violates PodSecurity',
          },
        ],
      },
    );

    expect(assessRollout(d, 'demo', 'h1')).toMatchObject({
      state: 'replica-failure',
      message: expect.stringContaining('violates PodSecurity'),
    });
  });

  it('does not judge a Deployment that does not carry the spec just applied', () => {
    const rollout = assessRollout(deployment({ replicas: 1 }, all(1)), 'demo', 'h2');

    expect(rollout).toMatchObject({
      state: 'progressing',
      message: 'waiting for Deployment demo to take the new spec',
    });
  });
});

describe('withClaimHint', () => {
  const waiting = assessRollout(
    deployment({ replicas: 1 }, { replicas: 1, updatedReplicas: 1 }),
    'demo',
    'h1',
  );
  const claim = (phase: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'demo-wal' },
    status: { phase },
  });

  it('names an unbound WAL claim as what the pods wait for', () => {
    expect(withClaimHint(waiting, claim('Pending')).message).toBe(
      'waiting for 1 of 1 replica to become available: PersistentVolumeClaim demo-wal is Pending, so the pods cannot be ' +
        'scheduled (kubectl describe pvc demo-wal; is there a storage class or a volume for it?)',
    );
  });

  it('adds nothing once the claim is bound', () => {
    expect(withClaimHint(waiting, claim('Bound'))).toBe(waiting);
  });
});
