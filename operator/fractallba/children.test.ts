import { describe, expect, it } from 'vitest';

import { API_VERSION, LABELS } from '../api/constants.ts';
import type { KubeObject } from '../kube/types.ts';
import { childKey, isOwnedBy, ownerKeyOf } from './children.ts';

const owned = (controller: boolean): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'demo',
    namespace: 'ns',
    ownerReferences: [
      { apiVersion: API_VERSION, kind: 'FractalLBA', name: 'owner', uid: 'u1', controller },
    ],
  },
});

describe('ownerKeyOf', () => {
  it('maps a child to its controlling FractalLBA', () => {
    expect(ownerKeyOf(owned(true))).toBe('ns/owner');
  });

  it('maps a retained WAL claim, which has no owner reference, by its instance label', () => {
    const claim: KubeObject = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'x-wal', namespace: 'ns', labels: { [LABELS.instance]: 'x' } },
    };

    expect(ownerKeyOf(claim)).toBe('ns/x');
  });

  it('ignores owners that are not a FractalLBA controller', () => {
    const obj: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'c',
        namespace: 'ns',
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid: 'u', controller: true },
        ],
      },
    };

    expect(ownerKeyOf(obj)).toBeUndefined();
  });
});

describe('isOwnedBy', () => {
  it('needs a controller reference with the uid', () => {
    expect(isOwnedBy(owned(true), 'u1')).toBe(true);
    expect(isOwnedBy(owned(false), 'u1')).toBe(false);
    expect(isOwnedBy(owned(true), 'u2')).toBe(false);
  });
});

describe('childKey', () => {
  it('names a child the same in every version of its group', () => {
    expect(
      childKey({
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { namespace: 'ns', name: 'a' },
      }),
    ).toBe(
      childKey({
        apiVersion: 'autoscaling/v1',
        kind: 'HorizontalPodAutoscaler',
        metadata: { namespace: 'ns', name: 'a' },
      }),
    );
  });
});
