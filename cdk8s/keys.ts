import { BACKEND } from '../operator/api/constants.ts';
import type { RenderInput, RenderKey } from './types.ts';

/** The keys in name order (code-unit order, not locale order), so input order never matters. */
export function sortedKeys(input: RenderInput): RenderKey[] {
  return [...input.keys].sort((a, b) =>
    a.signingKeyName < b.signingKeyName ? -1 : a.signingKeyName > b.signingKeyName ? 1 : 0,
  );
}

/** Where a key's verifier Secret is mounted, as a whole directory. */
export function keyDir(key: RenderKey): string {
  return `${BACKEND.keysRoot}/${key.signingKeyName}`;
}

/** Pod volume name of the i-th key (SigningKey names can be longer than a volume name may be). */
export function keyVolumeName(index: number): string {
  return `key-${index}`;
}
