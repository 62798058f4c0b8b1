import { describe, expect, it } from 'vitest';
import { ANNOTATIONS } from '../operator/api/constants.ts';
import { renderFractalLBA } from './render.ts';
import { FULL_SPEC, MINIMAL_SPEC, byKind, renderInput } from './testing.ts';

const ALWAYS = [
  'ServiceAccount',
  'ConfigMap',
  'PersistentVolumeClaim',
  'Service',
  'Deployment',
  'PodDisruptionBudget',
  'NetworkPolicy',
  'CronJob',
];
const OPTIONAL = ['HorizontalPodAutoscaler', 'Ingress', 'ServiceMonitor', 'PrometheusRule'];

describe('renderFractalLBA', () => {
  it('renders the always-present children for a minimal spec, and the optional ones on demand', () => {
    expect(renderFractalLBA(renderInput(MINIMAL_SPEC)).map((m) => m.kind)).toEqual(ALWAYS);
    const full = renderFractalLBA(renderInput(FULL_SPEC)).map((m) => m.kind);
    expect([...full].sort()).toEqual([...ALWAYS, ...OPTIONAL].sort());
  });

  it('is deterministic: same input, identical bytes, whatever the key order', () => {
    const input = renderInput(FULL_SPEC);
    const once = JSON.stringify(renderFractalLBA(input));
    expect(JSON.stringify(renderFractalLBA(input))).toBe(once);
    expect(JSON.stringify(renderFractalLBA({ ...input, keys: [...input.keys].reverse() }))).toBe(
      once,
    );
  });

  it.each([...ALWAYS, ...OPTIONAL])('renders %s as in the snapshot', (kind) => {
    expect(byKind(renderFractalLBA(renderInput(FULL_SPEC)), kind)).toMatchSnapshot();
  });

  it('names every child <name> or <name>-<suffix> in the FractalLBA namespace', () => {
    for (const m of renderFractalLBA(renderInput(FULL_SPEC))) {
      expect(m.metadata.name).toMatch(/^demo(-[a-z-]+)?$/);
      expect(m.metadata.namespace).toBe('ingest');
    }
  });

  it('owns every child with a controller reference, except a retained WAL claim', () => {
    const owner = {
      apiVersion: 'flk.fractal-lba.io/v1alpha1',
      kind: 'FractalLBA',
      name: 'demo',
      uid: 'uid-1',
      controller: true,
      blockOwnerDeletion: true,
    };
    for (const m of renderFractalLBA(renderInput(FULL_SPEC))) {
      if (m.kind === 'PersistentVolumeClaim') expect(m.metadata.ownerReferences).toBeUndefined();
      else expect(m.metadata.ownerReferences, m.kind).toEqual([owner]);
    }
    const pvc = byKind(renderFractalLBA(renderInput(MINIMAL_SPEC)), 'PersistentVolumeClaim');
    expect(pvc.metadata.ownerReferences).toEqual([owner]);
  });

  it('never copies Argo CD tracking labels or annotations, even when the FractalLBA has them', () => {
    const input = renderInput(FULL_SPEC, {
      flk: {
        name: 'demo',
        namespace: 'ingest',
        uid: 'uid-1',
        generation: 1,
        labels: {
          'app.kubernetes.io/instance': 'my-argo-app',
          'argocd.argoproj.io/instance': 'my-argo-app',
          'app.kubernetes.io/name': 'not-ours',
          team: 'payments',
        },
      },
    });
    const text = JSON.stringify(renderFractalLBA(input));
    expect(text).not.toContain('app.kubernetes.io/instance');
    expect(text).not.toContain('argocd.argoproj.io');
    expect(text).not.toContain('my-argo-app');
    for (const m of renderFractalLBA(input)) {
      expect(m.metadata.labels).toMatchObject({
        'app.kubernetes.io/name': 'fractal-lba',
        'flk.fractal-lba.io/instance': 'demo',
        'app.kubernetes.io/managed-by': 'flk-operator',
        'app.kubernetes.io/component': expect.any(String),
        team: 'payments',
      });
    }
  });
});

describe('pod-template checksum', () => {
  const checksumOf = (input: ReturnType<typeof renderInput>) =>
    byKind(renderFractalLBA(input), 'Deployment').spec.template.metadata.annotations[
      ANNOTATIONS.checksum
    ] as string;

  it('changes when a key, the config or the extra digest changes, and only then', () => {
    const base = renderInput(FULL_SPEC);
    const sum = checksumOf(base);
    expect(sum).toMatch(/^[0-9a-f]{64}$/);
    expect(checksumOf(renderInput(FULL_SPEC))).toBe(sum);

    const rotated = {
      ...base,
      keys: base.keys.map((k, i) => (i === 0 ? { ...k, checksum: 'new' } : k)),
    };
    expect(checksumOf(rotated)).not.toBe(sum);
    expect(checksumOf(renderInput({ ...FULL_SPEC, rateLimit: { burst: 10 } }))).not.toBe(sum);
    expect(checksumOf({ ...base, configChecksum: 'secret-v2' })).not.toBe(sum);
  });
});
