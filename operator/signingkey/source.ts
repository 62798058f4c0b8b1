import type { ResolvedSigningKeySpec } from '../api/signingkey.ts';
import type { KubeObject } from '../kube/types.ts';
import type { SigningKeyDeps } from './deps.ts';
import { importKey } from './material.ts';
import { REASON } from './reasons.ts';
import type { SourceState } from './types.ts';

/**
 * Import mode: the key in spec.source.secretRef, read fresh from the API (the cache keeps no data
 * of Secrets that are not ours) and checked by `importKey`.
 */
export async function readSource(
  namespace: string,
  spec: ResolvedSigningKeySpec,
  deps: SigningKeyDeps,
): Promise<SourceState> {
  const ref = spec.source.secretRef;
  if (!ref)
    return {
      ok: false,
      reason: REASON.sourceInvalid,
      message: 'spec.source.secretRef is required when spec.source.mode is import',
    };

  const secret = await deps.api.get<KubeObject & { data?: Record<string, string> }>({
    apiVersion: 'v1',
    kind: 'Secret',
    namespace,
    name: ref.name,
  });
  if (!secret) {
    return {
      ok: false,
      reason: REASON.sourceMissing,
      message: `the import Secret ${namespace}/${ref.name} does not exist; create it with the key under data key "${ref.key}", or set spec.source.mode to generate`,
    };
  }

  const imported = importKey(
    spec.algorithm,
    spec.schemes,
    secret.data?.[ref.key],
    `Secret ${namespace}/${ref.name} key "${ref.key}"`,
  );
  return imported.ok
    ? { ok: true, signer: imported.signer }
    : { ok: false, reason: REASON.sourceInvalid, message: imported.message };
}
