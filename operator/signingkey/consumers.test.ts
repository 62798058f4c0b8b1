import { describe, expect, it } from 'vitest';

import { renderFractalLBA } from '../../cdk8s/render.ts';
import { MINIMAL_SPEC, byKind, renderInput } from '../../cdk8s/testing.ts';
import type { FractalLBAObject } from '../fractallba/deps.ts';
import type { KubeObject } from '../kube/types.ts';
import { consumersOf, referencedSigningKeys, rolloutOf, templateKeyIds } from './consumers.ts';

/** The Deployment the renderer makes for verifier Secrets holding `kids`, with a rollout status. */
function deployment(kids: string[], status: Record<string, number>, generation = 2): KubeObject {
  const input = renderInput(MINIMAL_SPEC, {
    keys: [
      {
        signingKeyName: 'agents',
        verifierSecretName: 'agents-verifier',
        checksum: 'c',
        keyIds: kids,
      },
    ],
  });
  const rendered = byKind(renderFractalLBA(input), 'Deployment');
  return {
    ...rendered,
    metadata: {
      ...rendered.metadata,
      generation,
      ownerReferences: [{ ...rendered.metadata.ownerReferences![0]!, uid: 'flk-uid' }],
    },
    status: { observedGeneration: generation, ...status },
  } as KubeObject;
}

const done = { replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 };

describe('a consumer has rolled out a key', () => {
  it('when its pod template lists the key id (the renderer writes them) and the rollout is complete', () => {
    const d = deployment(['ed25519-bbbb', 'ed25519-aaaa'], done);
    expect(templateKeyIds(d)).toEqual(['ed25519-aaaa', 'ed25519-bbbb']);
    expect(rolloutOf(d, 'demo')).toEqual({
      keyIds: ['ed25519-aaaa', 'ed25519-bbbb'],
      complete: true,
      message: 'Deployment demo: 1 of 1 replica available',
    });
  });

  it.each([
    [
      'the Deployment controller has not observed the new template',
      { ...done, observedGeneration: 1 },
    ],
    ['an old pod is still there', { ...done, replicas: 2 }],
    ['the new pod is not available yet', { ...done, availableReplicas: 0 }],
  ])('not while %s', (_why, status) => {
    expect(rolloutOf(deployment(['ed25519-aaaa'], status), 'demo').complete).toBe(false);
  });

  it('not while it has no Deployment at all', () => {
    expect(rolloutOf(undefined, 'demo')).toMatchObject({ keyIds: [], complete: false });
  });
});

describe('consumersOf', () => {
  const flk = (
    name: string,
    spec: unknown,
    extra: Partial<FractalLBAObject['metadata']> = {},
  ): FractalLBAObject => ({
    apiVersion: 'flk.fractal-lba.io/v1alpha1',
    kind: 'FractalLBA',
    metadata: { name, namespace: 'ingest', uid: `${name}-uid`, ...extra },
    spec,
  });
  const deployments = {
    get: (_ns: string, name: string) =>
      name === 'demo' ? deployment(['ed25519-aaaa'], done) : undefined,
    list: () => [],
  };

  it('are the FractalLBAs naming the SigningKey in spec.signing.keyRefs, with their dedup TTL', () => {
    const all = [
      flk(
        'demo',
        { signing: { keyRefs: [{ name: 'agents' }] }, dedup: { ttl: '10s' } },
        { uid: 'flk-uid' },
      ),
      flk('other', { signing: { keyRefs: [{ name: 'someone-else' }] } }),
      flk('default-ttl', { signing: { keyRefs: [{ name: 'agents' }] } }),
      flk(
        'going',
        { signing: { keyRefs: [{ name: 'agents' }] } },
        { deletionTimestamp: '2030-01-01T00:00:00Z' },
      ),
      flk('broken', { signing: { keyRefs: [{ name: 'agents' }] }, replicas: 'many' }),
    ];
    const consumers = consumersOf('ingest', 'agents', all, deployments);
    expect(consumers.map((c) => [c.name, c.dedupTtl, c.rollout.complete])).toEqual([
      ['broken', undefined, false],
      ['default-ttl', '14d', false],
      ['demo', '10s', true],
    ]);
  });

  it('a Deployment of the same name that the FractalLBA does not own does not count', () => {
    const impostor = flk(
      'demo',
      { signing: { keyRefs: [{ name: 'agents' }] } },
      { uid: 'another-uid' },
    );
    expect(consumersOf('ingest', 'agents', [impostor], deployments)[0]?.rollout.keyIds).toEqual([]);
  });

  it('reads references from the raw spec, and none when signing is off', () => {
    expect(
      referencedSigningKeys(flk('x', { signing: { keyRefs: [{ name: 'a' }, { name: 'b' }] } })),
    ).toEqual(['a', 'b']);
    expect(referencedSigningKeys(flk('x', { signing: { mode: 'none' } }))).toEqual([]);
    expect(referencedSigningKeys(flk('x', undefined))).toEqual([]);
  });
});
