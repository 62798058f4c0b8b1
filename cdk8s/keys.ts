import { BACKEND } from '../operator/api/constants.ts';
import type { RenderInput, RenderKey } from './types.ts';

/** The keys in name order (code-unit order, not locale order), so input order never matters. */
export function sortedKeys(input: RenderInput): RenderKey[] {
  return [...input.keys].sort((a, b) =>
    a.signingKeyName < b.signingKeyName ? -1 : a.signingKeyName > b.signingKeyName ? 1 : 0,
  );
}

/**
 * Value of the pod template's key-ids annotation: every key id of every mounted verifier Secret,
 * sorted and comma-separated; undefined when no key id is known.
 */
export function keyIdsAnnotation(input: RenderInput): string | undefined {
  const ids = [...new Set(input.keys.flatMap((k) => k.keyIds ?? []))].sort();
  return ids.length > 0 ? ids.join(',') : undefined;
}

/** Where a key's verifier Secret is mounted, as a whole directory. */
export function keyDir(key: RenderKey): string {
  return `${BACKEND.keysRoot}/${key.signingKeyName}`;
}

/** Pod volume name of the i-th key (SigningKey names can be longer than a volume name may be). */
export function keyVolumeName(index: number): string {
  return `key-${index}`;
}
