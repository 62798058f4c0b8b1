/**
 * Names, labels and owner references of the children. Every child is `<name>` or
 * `<name>-<suffix>`; every child but a retained WAL claim is owned by the FractalLBA.
 */
import type { k8s } from 'cdk8s-plus-34';
import {
  API_VERSION,
  APP_NAME,
  FIELD_MANAGER,
  FRACTALLBA,
  GROUP,
  LABELS,
  TRACKING_LABEL_KEYS,
  TRACKING_PREFIXES,
} from '../operator/api/constants.ts';
import type { RenderInput } from './types.ts';

export const COMPONENTS = {
  backend: 'backend',
  config: 'config',
  wal: 'wal',
  walCompaction: 'wal-compaction',
  monitoring: 'monitoring',
  tls: 'tls',
} as const;
export type Component = (typeof COMPONENTS)[keyof typeof COMPONENTS];

export const SUFFIX = {
  config: 'config',
  wal: 'wal',
  walCompaction: 'wal-compaction',
  tls: 'tls',
  ingressTls: 'ingress-tls',
} as const;

export function childName(input: RenderInput, suffix?: string): string {
  return suffix ? `${input.flk.name}-${suffix}` : input.flk.name;
}

/** Labels that select the backend pods. Never change them: a Deployment selector is immutable. */
export function selectorLabels(input: RenderInput): Record<string, string> {
  return {
    [LABELS.name]: APP_NAME,
    [LABELS.instance]: input.flk.name,
    [LABELS.component]: COMPONENTS.backend,
  };
}

/** Labels of a child: the FractalLBA's own labels minus tracking and reserved keys, then ours. */
export function childLabels(input: RenderInput, component: Component): Record<string, string> {
  const inherited = Object.entries(input.flk.labels ?? {}).filter(([key]) => !isReserved(key));
  return {
    ...Object.fromEntries(inherited),
    [LABELS.name]: APP_NAME,
    [LABELS.instance]: input.flk.name,
    [LABELS.managedBy]: FIELD_MANAGER,
    [LABELS.component]: component,
  };
}

/** Keys a child never inherits: GitOps tracking labels, and the ones the renderer owns. */
export function isReserved(key: string): boolean {
  return (
    (TRACKING_LABEL_KEYS as readonly string[]).includes(key) ||
    TRACKING_PREFIXES.some((prefix) => key.startsWith(prefix)) ||
    key.startsWith('app.kubernetes.io/') ||
    key.startsWith(`${GROUP}/`)
  );
}

export function ownerReference(input: RenderInput): k8s.OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: FRACTALLBA.kind,
    name: input.flk.name,
    uid: input.flk.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export interface ChildMetaOptions {
  suffix?: string;
  component: Component;
  /** False only for a WAL claim that must outlive the FractalLBA. */
  owned?: boolean;
  annotations?: Record<string, string>;
  extraLabels?: Record<string, string>;
}

export function childMetadata(input: RenderInput, o: ChildMetaOptions): k8s.ObjectMeta {
  return {
    name: childName(input, o.suffix),
    namespace: input.flk.namespace,
    labels: { ...o.extraLabels, ...childLabels(input, o.component) },
    ...(o.annotations && Object.keys(o.annotations).length > 0 && { annotations: o.annotations }),
    ...(o.owned !== false && { ownerReferences: [ownerReference(input)] }),
  };
}
