/**
 * The two Secrets of a SigningKey, read into key files and written from them. Pure: objects in,
 * files out, and back. Formats (pcs/keyfile.ts):
 *
 * - signer Secret `<name>-signer`: `signer.json`, the Active key's signer file (what agents
 *   read), and `pending.json` while a rotation waits for its consumers;
 * - verifier Secret `<name>-verifier`: one `<kid>.json` verifier file per key still inside its
 *   window, each with its `state` and, once Retiring, its `not_after`.
 */
import {
  KeyFormatError,
  formatKeyFile,
  parseSignerKey,
  parseVerifierKey,
} from '../../pcs/keyfile.ts';
import type { SignerKeyFile, VerifierKeyFile } from '../../pcs/keyfile.ts';
import { API_VERSION, APP_NAME, FIELD_MANAGER, LABELS, SIGNINGKEY } from '../api/constants.ts';
import type { KubeObject } from '../kube/types.ts';
import {
  PENDING_DATA_KEY,
  SECRET_COMPONENT,
  SIGNER_DATA_KEY,
  SIGNINGKEY_LABEL,
  kidOfDataKey,
  verifierDataKey,
} from './names.ts';

/** Identity of the SigningKey that owns the Secrets. */
export interface SigningKeyRef {
  name: string;
  namespace: string;
  uid: string;
}

interface SecretRead {
  /** The Secret exists. */
  present: boolean;
  /** It is controlled by this SigningKey (a Secret of that name that is not ours is never overwritten). */
  owned: boolean;
  resourceVersion?: string;
  /** One line per data entry that was refused, naming it and why (never its content). */
  problems: string[];
}

export interface SignerSecretState extends SecretRead {
  active?: SignerKeyFile;
  pending?: SignerKeyFile;
}

export interface VerifierSecretState extends SecretRead {
  files: VerifierKeyFile[];
}

type SecretObject = KubeObject & { data?: Record<string, string> };

export function readSignerSecret(
  secret: KubeObject | undefined,
  owner: SigningKeyRef,
): SignerSecretState {
  const state: SignerSecretState = { ...identity(secret, owner), problems: [] };
  if (!secret) return state;

  const data = (secret as SecretObject).data ?? {};
  for (const [dataKey, slot] of [
    [SIGNER_DATA_KEY, 'active'],
    [PENDING_DATA_KEY, 'pending'],
  ] as const) {
    const value = data[dataKey];
    if (value === undefined) continue;
    const text = Buffer.from(value, 'base64').toString('utf8');
    try {
      parseSignerKey(text, dataKey);
      state[slot] = JSON.parse(text) as SignerKeyFile;
    } catch (err) {
      state.problems.push(problem(err, dataKey));
    }
  }
  return state;
}

export function readVerifierSecret(
  secret: KubeObject | undefined,
  owner: SigningKeyRef,
): VerifierSecretState {
  const state: VerifierSecretState = { ...identity(secret, owner), files: [], problems: [] };
  if (!secret) return state;

  const data = (secret as SecretObject).data ?? {};
  for (const dataKey of Object.keys(data).sort()) {
    if (kidOfDataKey(dataKey) === undefined) continue;
    const text = Buffer.from(data[dataKey] ?? '', 'base64').toString('utf8');
    try {
      parseVerifierKey(text, dataKey); // checks the material too: a weak Ed25519 point is refused
      state.files.push(JSON.parse(text) as VerifierKeyFile);
    } catch (err) {
      state.problems.push(problem(err, dataKey));
    }
  }
  return state;
}

/** The signer Secret holding `active` (as signer.json) and `pending` (as pending.json). */
export function signerSecretObject(
  owner: SigningKeyRef,
  secretName: string,
  content: { active?: SignerKeyFile; pending?: SignerKeyFile },
): KubeObject {
  const data: Record<string, string> = {};
  if (content.active) data[SIGNER_DATA_KEY] = encode(content.active);
  if (content.pending) data[PENDING_DATA_KEY] = encode(content.pending);
  return secretObject(owner, secretName, SECRET_COMPONENT.signer, data);
}

/** The verifier Secret holding one `<kid>.json` per file. */
export function verifierSecretObject(
  owner: SigningKeyRef,
  secretName: string,
  files: readonly VerifierKeyFile[],
): KubeObject {
  const data: Record<string, string> = {};
  for (const file of [...files].sort((a, b) => (a.kid < b.kid ? -1 : 1)))
    data[verifierDataKey(file.kid)] = encode(file);
  return secretObject(owner, secretName, SECRET_COMPONENT.verifier, data);
}

/** A verifier file with its rotation state, fields in the order pcs/README.md documents. */
export function withState(
  base: VerifierKeyFile,
  state: VerifierKeyFile['state'],
  notAfter?: string,
): VerifierKeyFile {
  const file: VerifierKeyFile = { kid: base.kid, alg: base.alg, schemes: [...base.schemes] };
  if (base.public_key_b64 !== undefined) file.public_key_b64 = base.public_key_b64;
  if (base.secret_b64 !== undefined) file.secret_b64 = base.secret_b64;
  if (state !== undefined) file.state = state;
  if (notAfter !== undefined) file.not_after = notAfter;
  return file;
}

function secretObject(
  owner: SigningKeyRef,
  name: string,
  component: string,
  data: Record<string, string>,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace: owner.namespace,
      labels: {
        [LABELS.name]: APP_NAME,
        [LABELS.managedBy]: FIELD_MANAGER,
        [LABELS.component]: component,
        [SIGNINGKEY_LABEL]: owner.name,
      },
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: SIGNINGKEY.kind,
          name: owner.name,
          uid: owner.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    type: 'Opaque',
    data,
  };
}

function identity(
  secret: KubeObject | undefined,
  owner: SigningKeyRef,
): Omit<SecretRead, 'problems'> {
  if (!secret) return { present: false, owned: false };
  const owned = (secret.metadata.ownerReferences ?? []).some(
    (ref) => ref.controller === true && ref.kind === SIGNINGKEY.kind && ref.uid === owner.uid,
  );
  return { present: true, owned, resourceVersion: secret.metadata.resourceVersion };
}

function encode(file: SignerKeyFile | VerifierKeyFile): string {
  return Buffer.from(formatKeyFile(file), 'utf8').toString('base64');
}

/** Why an entry was refused. JSON.parse quotes the text it choked on, so that detail is dropped. */
function problem(err: unknown, dataKey: string): string {
  if (!(err instanceof KeyFormatError)) return `${dataKey}: not a valid key file`;
  return err.message.includes('not valid JSON') ? `${dataKey}: not valid JSON` : err.message;
}
