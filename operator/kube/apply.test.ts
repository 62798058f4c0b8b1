import { describe, expect, it } from 'vitest';

import { APPLIED_HASH_ANNOTATION, decideApply, withAppliedHash } from './apply.ts';
import { appliedFieldsOf, unownedFields } from './owned-fields.ts';
import type { FieldsV1, KubeObject } from './types.ts';

const MANAGER = 'flk-operator';

function deployment(image = 'backend:1'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'demo',
      namespace: 'ns',
      labels: { app: 'demo' },
      ownerReferences: [
        { apiVersion: 'flk.fractal-lba.io/v1alpha1', kind: 'FractalLBA', name: 'demo', uid: 'u1' },
      ],
    },
    spec: {
      selector: { matchLabels: { app: 'demo' } },
      template: {
        metadata: { labels: { app: 'demo' } },
        spec: {
          containers: [
            {
              name: 'backend',
              image,
              args: ['serve', '--port', '8080'],
              ports: [{ containerPort: 8080, name: 'http' }],
            },
          ],
        },
      },
    },
  };
}

/** What the API server records for an apply of `deployment()` (ports keyed with the defaulted protocol). */
function appliedSet(): FieldsV1 {
  return {
    'f:metadata': {
      'f:annotations': { [`f:${APPLIED_HASH_ANNOTATION}`]: {} },
      'f:labels': { 'f:app': {} },
      'f:ownerReferences': { 'k:{"uid":"u1"}': {} },
    },
    'f:spec': {
      'f:selector': {},
      'f:template': {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:containers': {
            'k:{"name":"backend"}': {
              '.': {},
              'f:name': {},
              'f:image': {},
              'f:args': {},
              'f:ports': {
                'k:{"containerPort":8080,"protocol":"TCP"}': {
                  '.': {},
                  'f:containerPort': {},
                  'f:name': {},
                },
              },
            },
          },
        },
      },
    },
  };
}

function live(
  desired: KubeObject,
  fields: FieldsV1,
  annotations = desired.metadata.annotations,
): KubeObject {
  const obj = structuredClone(desired);
  obj.metadata.annotations = annotations;
  obj.metadata.resourceVersion = '7';
  obj.metadata.managedFields = [
    {
      manager: 'kube-controller-manager',
      operation: 'Update',
      subresource: 'status',
      fieldsV1: { 'f:status': {} },
    },
    { manager: MANAGER, operation: 'Apply', fieldsV1: fields },
  ];
  // Fields the server defaults must not matter.
  (obj.spec as { revisionHistoryLimit?: number }).revisionHistoryLimit = 10;
  return obj;
}

describe('unownedFields', () => {
  it('finds nothing missing when the apply still owns every field it sent', () => {
    expect(unownedFields(withAppliedHash(deployment()), appliedSet())).toEqual([]);
  });

  it('reports a label someone removed or took over', () => {
    const fields = appliedSet();
    delete (fields['f:metadata'] as FieldsV1)['f:labels'];

    expect(unownedFields(withAppliedHash(deployment()), fields)).toEqual(['metadata.labels']);
  });

  it('reports a container image someone else now owns, by its path', () => {
    const fields = appliedSet();
    const container = (
      ((fields['f:spec'] as FieldsV1)['f:template'] as FieldsV1)['f:spec'] as FieldsV1
    )['f:containers'] as FieldsV1;
    delete (container['k:{"name":"backend"}'] as FieldsV1)['f:image'];

    expect(unownedFields(deployment(), fields)).toContain('spec.template.spec.containers[0].image');
  });

  it('matches keyed list elements whose key the server completed with a default', () => {
    const desired = deployment();

    expect(unownedFields(desired, appliedSet()).filter((p) => p.includes('ports'))).toEqual([]);
  });

  it('reports a list element that has no entry at all', () => {
    const desired = deployment();
    const spec = (desired.spec as { template: { spec: { containers: unknown[] } } }).template.spec;
    spec.containers.push({ name: 'sidecar', image: 'x' });

    expect(unownedFields(desired, appliedSet())).toContain('spec.template.spec.containers[1]');
  });

  it('treats a leaf as owned whole (atomic lists and maps)', () => {
    const desired = deployment();
    const container = (
      desired.spec as { template: { spec: { containers: Array<{ args: string[] }> } } }
    ).template.spec.containers[0];
    container!.args = ['something', 'else'];

    expect(unownedFields(desired, appliedSet())).toEqual([]);
  });

  it('checks scalar set elements by value', () => {
    const desired: KubeObject = {
      apiVersion: 'v1',
      kind: 'X',
      metadata: { name: 'x', finalizers: ['a', 'b'] },
    };
    const fields: FieldsV1 = { 'f:metadata': { 'f:finalizers': { '.': {}, 'v:"a"': {} } } };

    expect(unownedFields(desired, fields)).toEqual(['metadata.finalizers[1]']);
  });

  it('says so when the manager owns nothing on the object', () => {
    expect(unownedFields(deployment(), undefined)).toEqual(['(no fields owned)']);
  });
});

describe('appliedFieldsOf', () => {
  it('takes the apply entry of the manager and ignores its subresource and update entries', () => {
    const obj = live(deployment(), appliedSet());
    obj.metadata.managedFields!.unshift(
      { manager: MANAGER, operation: 'Apply', subresource: 'status', fieldsV1: { 'f:status': {} } },
      { manager: MANAGER, operation: 'Update', fieldsV1: { 'f:spec': {} } },
    );

    expect(appliedFieldsOf(obj, MANAGER)).toBe(obj.metadata.managedFields![3]!.fieldsV1);
  });
});

describe('decideApply', () => {
  it('applies an object that does not exist yet', () => {
    expect(decideApply(withAppliedHash(deployment()), undefined, MANAGER)).toEqual({
      apply: true,
      reason: 'absent',
    });
  });

  it('writes nothing when the hash matches and every field is still ours', () => {
    const desired = withAppliedHash(deployment());

    expect(decideApply(desired, live(desired, appliedSet()), MANAGER)).toEqual({
      apply: false,
      reason: 'up-to-date',
    });
  });

  it('applies when the desired object changed (a new image), even though the field set did not', () => {
    const before = withAppliedHash(deployment('backend:1'));
    const after = withAppliedHash(deployment('backend:2'));

    expect(decideApply(after, live(before, appliedSet()), MANAGER).reason).toBe('desired-changed');
  });

  it('applies when a hand edit took one of our fields', () => {
    const desired = withAppliedHash(deployment());
    const fields = appliedSet();
    delete ((fields['f:spec'] as FieldsV1)['f:template'] as FieldsV1)['f:metadata'];

    expect(decideApply(desired, live(desired, fields), MANAGER)).toEqual({
      apply: true,
      reason: 'fields-lost',
      fields: ['spec.template.metadata'],
    });
  });

  it('applies when someone removed the hash annotation', () => {
    const desired = withAppliedHash(deployment());

    expect(decideApply(desired, live(desired, appliedSet(), {}), MANAGER).reason).toBe(
      'desired-changed',
    );
  });

  it('hashes independently of key order', () => {
    const a = deployment();
    const b: KubeObject = {
      spec: a.spec,
      metadata: a.metadata,
      kind: a.kind,
      apiVersion: a.apiVersion,
    };

    expect(withAppliedHash(a).metadata.annotations).toEqual(
      withAppliedHash(b).metadata.annotations,
    );
  });
});
