import { canonicalJson, sha256Hex } from '../kube/canonical.ts';
import type { KubeObject, ObjectMeta } from '../kube/types.ts';
import type { ResolvedFractalLBASpec } from '../api/fractallba.ts';
import { TLS_SECRET_KEYS, verifierSecretName } from '../api/constants.ts';

/**
 * What the operator keeps of a Secret: who it is, the names of its data keys and a digest of its
 * content. The values themselves are dropped by the informer before anything is cached, so no
 * secret material lives in the operator's memory, logs or status.
 */
export interface SecretSummary extends KubeObject {
  apiVersion: 'v1';
  kind: 'Secret';
  dataKeys: string[];
  /** sha256 over the data (and stringData) in canonical form. */
  digest: string;
}

/** Informer transform for Secrets: see {@link SecretSummary}. */
export function summariseSecret(secret: KubeObject): SecretSummary {
  const data = (secret.data ?? {}) as Record<string, string>;
  const stringData = (secret.stringData ?? {}) as Record<string, string>;
  const meta: ObjectMeta = {
    name: secret.metadata.name,
    namespace: secret.metadata.namespace,
    uid: secret.metadata.uid,
    resourceVersion: secret.metadata.resourceVersion,
    labels: secret.metadata.labels,
  };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta,
    dataKeys: [...new Set([...Object.keys(data), ...Object.keys(stringData)])].sort(),
    digest: sha256Hex(canonicalJson({ data, stringData })),
  };
}

/** Suffix of every SigningKey's verifier Secret, `<signingKey>-verifier`. */
export const VERIFIER_SUFFIX = verifierSecretName('');

/** A Secret the spec needs, and why (for the message when it is missing). */
export interface SecretRef {
  name: string;
  purpose: string;
  /**
   * The backend watches this Secret's mounted files and reloads them itself (TLS certificates),
   * so a change must not roll the pods: it is waited for, but left out of the pod checksum.
   */
  reloadedLive?: boolean;
  /**
   * Data keys the pods read from it. A Secret without one of them is waited for like a missing
   * one: the backend would not start (the TLS files are required), and the pods already running
   * are better left as they are than rolled into a crash loop.
   */
  keys?: { key: string; field?: string }[];
}

/**
 * The non-key Secrets a spec references: dedup connections, metrics Basic Auth, and the TLS
 * Secrets the user manages. The Secret cert-manager writes for spec.tls.certificate is not
 * waited for: the Certificate that makes it is one of the children this reconcile applies.
 */
export function referencedSecrets(spec: ResolvedFractalLBASpec): SecretRef[] {
  const refs: SecretRef[] = [];
  if (spec.dedup.backend === 'redis' && spec.dedup.redis) {
    refs.push({ name: spec.dedup.redis.secretRef.name, purpose: 'spec.dedup.redis.secretRef' });
  }
  if (spec.dedup.backend === 'postgres' && spec.dedup.postgres) {
    refs.push({
      name: spec.dedup.postgres.secretRef.name,
      purpose: 'spec.dedup.postgres.secretRef',
    });
  }
  if (spec.metrics.basicAuthSecretRef) {
    refs.push({
      name: spec.metrics.basicAuthSecretRef.name,
      purpose: 'spec.metrics.basicAuthSecretRef',
    });
  }
  if (spec.tls?.secretName) {
    refs.push({
      name: spec.tls.secretName,
      purpose: 'spec.tls.secretName',
      reloadedLive: true,
      keys: [{ key: TLS_SECRET_KEYS.cert }, { key: TLS_SECRET_KEYS.key }],
    });
  }
  if (spec.tls?.clientCA) {
    refs.push({
      name: spec.tls.clientCA.secretName,
      purpose: 'spec.tls.clientCA.secretName',
      reloadedLive: true,
      keys: [{ key: spec.tls.clientCA.key, field: 'spec.tls.clientCA.key' }],
    });
  }
  return refs;
}

/** Every Secret name the spec depends on, verifier Secrets included (for the Secret watch). */
export function dependedOnSecretNames(spec: ResolvedFractalLBASpec): string[] {
  const keyRefs = spec.signing.mode === 'keys' ? spec.signing.keyRefs : [];
  return [
    ...keyRefs.map((k) => verifierSecretName(k.name)),
    ...referencedSecrets(spec).map((r) => r.name),
  ];
}
