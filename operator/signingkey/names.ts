/**
 * Names shared by the SigningKey controller, its tests and its documentation: the data keys of
 * the two Secrets and the labels they carry.
 */
import { GROUP } from '../api/constants.ts';
import { SIGNER_FILE } from '../../pcs/keyfile.ts';

/** Data key of the Active key in the signer Secret (what agents read). */
export const SIGNER_DATA_KEY = SIGNER_FILE;

/**
 * Data key of the Pending key's private material in the signer Secret, present only while a
 * rotation waits for its consumers. Persisted before anything else, so a restarted operator
 * adopts it instead of minting a second key. Agents must not sign with it.
 */
export const PENDING_DATA_KEY = 'pending.json';

/** Data key of one key in the verifier Secret: `<kid>.json` (pcs/keyfile.ts). */
export const verifierDataKey = (kid: string): string => `${kid}.json`;

/** The kid of a verifier data key, or undefined for any other name. */
export function kidOfDataKey(dataKey: string): string | undefined {
  return dataKey.endsWith('.json') && !dataKey.startsWith('.') ? dataKey.slice(0, -5) : undefined;
}

/** Label on both Secrets naming the SigningKey they belong to (so they are easy to select). */
export const SIGNINGKEY_LABEL = `${GROUP}/signingkey`;

/** `app.kubernetes.io/component` of each Secret. */
export const SECRET_COMPONENT = { signer: 'signer', verifier: 'verifier' } as const;
