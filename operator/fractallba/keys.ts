import type { RenderKey } from '../../cdk8s/types.ts';
import { verifierSecretName } from '../api/constants.ts';
import type { ResolvedFractalLBASpec } from '../api/fractallba.ts';
import { canonicalJson, sha256Hex } from '../kube/canonical.ts';
import { REASON } from './reasons.ts';
import { referencedSecrets, type SecretSummary } from './secrets.ts';

export interface SecretLookup {
  get(namespace: string, name: string): SecretSummary | undefined;
}

export type ResolvedKeys =
  | {
      ok: true;
      keys: RenderKey[];
      /** Every key id across the verifier Secrets: their `<keyId>.json` file names. */
      keyIds: string[];
      /** Digest of the other referenced Secrets, so a changed password rolls the pods. */
      configChecksum?: string;
    }
  | {
      ok: false;
      reason: typeof REASON.waitingForKeys | typeof REASON.waitingForSecrets;
      message: string;
    };

/**
 * The verifier Secrets of the SigningKeys the spec names (`<signingKey>-verifier` by convention),
 * with a checksum of each, and a digest of the other Secrets the pods read. Any one missing is
 * waited for, and the message names it: the backend cannot start without it.
 */
export function resolveKeys(
  namespace: string,
  spec: ResolvedFractalLBASpec,
  secrets: SecretLookup,
): ResolvedKeys {
  const keyRefs = spec.signing.mode === 'keys' ? spec.signing.keyRefs : [];
  const keys: RenderKey[] = [];
  const keyIds = new Set<string>();
  const missingKeys: string[] = [];

  for (const ref of keyRefs) {
    const secretName = verifierSecretName(ref.name);
    const secret = secrets.get(namespace, secretName);
    if (!secret) {
      missingKeys.push(
        `Secret ${namespace}/${secretName} (the verifier keys of SigningKey ${ref.name})`,
      );
      continue;
    }
    const ids = secret.dataKeys
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length));
    keys.push({
      signingKeyName: ref.name,
      verifierSecretName: secretName,
      checksum: secret.digest,
      keyIds: ids,
    });
    for (const id of ids) keyIds.add(id);
  }
  if (missingKeys.length > 0) {
    return {
      ok: false,
      reason: REASON.waitingForKeys,
      message: `waiting for ${missingKeys.join(' and ')} to exist`,
    };
  }

  const others = referencedSecrets(spec);
  const missing = others.filter((ref) => !secrets.get(namespace, ref.name));
  const lacking = others.flatMap((ref) => {
    const secret = secrets.get(namespace, ref.name);
    const absent = secret ? (ref.keys ?? []).filter((k) => !secret.dataKeys.includes(k.key)) : [];
    if (!secret || absent.length === 0) return [];
    // Key names only, never values (the summary holds none).
    const keys = absent.map((k) => (k.field ? `${k.key} (${k.field})` : k.key)).join(' and ');
    const has = secret.dataKeys.length > 0 ? secret.dataKeys.join(', ') : 'no data';
    return [
      `Secret ${namespace}/${ref.name} (${ref.purpose}) to have data key${absent.length > 1 ? 's' : ''} ${keys}; it has ${has}`,
    ];
  });
  if (missing.length > 0 || lacking.length > 0) {
    const names = missing.map((ref) => `Secret ${namespace}/${ref.name} (${ref.purpose})`);
    const parts = [
      ...(names.length > 0 ? [`waiting for ${names.join(' and ')} to exist`] : []),
      ...lacking.map((l) => `waiting for ${l}`),
    ];
    return { ok: false, reason: REASON.waitingForSecrets, message: parts.join('; ') };
  }

  const rolling = others.filter((ref) => !ref.reloadedLive);
  const configChecksum =
    rolling.length > 0
      ? sha256Hex(
          canonicalJson(rolling.map((ref) => [ref.name, secrets.get(namespace, ref.name)?.digest])),
        )
      : undefined;
  return { ok: true, keys, keyIds: [...keyIds].sort(), configChecksum };
}
