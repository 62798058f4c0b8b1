/** Inputs for the renderer's tests (not shipped code paths; kept beside the builders). */
import { resolveFractalLBA, type FractalLBASpec } from '../operator/api/fractallba.ts';
import type { KubeManifest, RenderInput } from './types.ts';

export const MINIMAL_SPEC: FractalLBASpec = { signing: { keyRefs: [{ name: 'agents' }] } };

/** A spec that turns every optional child on. */
export const FULL_SPEC: FractalLBASpec = {
  autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 6, targetMemoryUtilization: 80 },
  signing: { keyRefs: [{ name: 'agents-b' }, { name: 'agents-a' }] },
  dedup: { backend: 'postgres', postgres: { secretRef: { name: 'pg-app' } } },
  wal: { accessMode: 'ReadWriteMany', storageClassName: 'shared', retainOnDelete: true },
  metrics: {
    basicAuthSecretRef: { name: 'metrics-auth' },
    serviceMonitor: { enabled: true, labels: { release: 'prom' } },
    prometheusRule: { enabled: true },
  },
  ingress: {
    enabled: true,
    host: 'flk.example.com',
    className: 'nginx',
    tlsSecretName: 'flk-tls',
    annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '64k' },
  },
  networkPolicy: {
    ingestFrom: [{ namespaceSelector: { matchLabels: { team: 'agents' } } }],
    metricsFrom: [
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
        podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['prometheus'] }] },
      },
    ],
  },
};

export function renderInput(spec: FractalLBASpec, extra: Partial<RenderInput> = {}): RenderInput {
  const resolved = resolveFractalLBA({ spec });
  if (!resolved.ok) throw new Error(resolved.errors.join('\n'));
  return {
    flk: { name: 'demo', namespace: 'ingest', uid: 'uid-1', generation: 3 },
    spec: resolved.spec,
    keys: resolved.spec.signing.keyRefs.map((ref) => ({
      signingKeyName: ref.name,
      verifierSecretName: `${ref.name}-verifier`,
      checksum: `sum-${ref.name}`,
    })),
    ...extra,
  };
}

/** Rendered JSON, typed loosely: tests walk it by path. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

/** The first manifest of a kind. */
export function byKind(manifests: KubeManifest[], kind: string): KubeManifest & Loose {
  const found = manifests.find((m) => m.kind === kind);
  if (!found) throw new Error(`no ${kind} rendered`);
  return found;
}
