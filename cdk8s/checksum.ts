import { createHash } from 'node:crypto';
import { sortedKeys } from './keys.ts';
import { canonical } from './synth.ts';
import type { RenderInput } from './types.ts';

/**
 * sha256 over the ConfigMap data, every key's checksum and the optional extra digest, in a fixed
 * order. Written on the pod template, so a change of config or keys rolls the pods.
 */
export function podChecksum(input: RenderInput, configData: Record<string, string>): string {
  const keys = sortedKeys(input).map((k) => [k.signingKeyName, k.verifierSecretName, k.checksum]);
  const material = canonical(
    { config: configData, keys, extra: input.configChecksum ?? null },
    false,
  );
  return createHash('sha256').update(JSON.stringify(material)).digest('hex');
}
