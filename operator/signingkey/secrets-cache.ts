import type { KubeObject } from '../kube/types.ts';
import { SIGNINGKEY_LABEL } from './names.ts';

/**
 * Informer transform for Secrets. The signer and verifier Secrets of our SigningKeys (labelled
 * flk.fractal-lba.io/signingkey) are kept whole: the rotation is derived from their content, and
 * the no-op check needs their managed fields. Every other Secret is cut down to its identity, so
 * its data never enters the operator's memory; an import Secret is read fresh when needed.
 */
export function trimSecret(secret: KubeObject): KubeObject {
  if (secret.metadata.labels?.[SIGNINGKEY_LABEL] !== undefined) return secret;
  const { name, namespace, uid, resourceVersion } = secret.metadata;
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace, uid, resourceVersion } };
}
