/** SigningKeys for the e2e tests: objects, their status, their signer Secret, and signed records. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { parseSignerKey, type SignerKey } from '../../../pcs/keyfile.ts';
import { formatRecord } from '../../../pcs/record.ts';
import { buildRecord, signRecord } from '../../../pcs/sign.ts';
import { API_VERSION, SIGNINGKEY, signerSecretName } from '../../../operator/api/constants.ts';
import type {
  KeyStatus,
  SigningKeySpec,
  SigningKeyStatus,
} from '../../../operator/api/signingkey.ts';
import type { KubeClient } from '../../../operator/kube/client.ts';
import type { KubeObject } from '../../../operator/kube/types.ts';
import { PENDING_DATA_KEY, SIGNER_DATA_KEY } from '../../../operator/signingkey/names.ts';
import { spawnBackend, type BackendProcess } from '../../harness/backend.ts';
import { waitFor } from './wait.ts';

export interface LiveSigningKey extends KubeObject {
  spec: SigningKeySpec;
  status?: SigningKeyStatus;
}

export function signingKey(namespace: string, name: string, spec: SigningKeySpec): KubeObject {
  return { apiVersion: API_VERSION, kind: SIGNINGKEY.kind, metadata: { name, namespace }, spec };
}

export function getSigningKey(client: KubeClient, namespace: string, name: string) {
  return client.get<LiveSigningKey>({
    apiVersion: API_VERSION,
    kind: SIGNINGKEY.kind,
    namespace,
    name,
  });
}

/** Polls the SigningKey until `check` returns something; the timeout message shows its keys. */
export async function waitForSigningKey<T>(
  client: KubeClient,
  namespace: string,
  name: string,
  what: string,
  check: (sk: LiveSigningKey) => T | undefined | false | null,
  timeoutMs = 60_000,
): Promise<T> {
  let last: LiveSigningKey | undefined;
  try {
    return await waitFor(
      what,
      timeoutMs,
      async () => {
        last = await getSigningKey(client, namespace, name);
        return last ? check(last) : undefined;
      },
      200,
    );
  } catch (err) {
    const summary = JSON.stringify({
      keys: last?.status?.keys,
      conditions: last?.status?.conditions,
    });
    throw new Error(`${(err as Error).message}; last status: ${summary}`, { cause: err });
  }
}

export const keyIn = (sk: LiveSigningKey | undefined, kid: string): KeyStatus | undefined =>
  sk?.status?.keys?.find((k) => k.kid === kid);

export const conditionOf = (sk: LiveSigningKey | undefined, type: string) =>
  sk?.status?.conditions?.find((c) => c.type === type);

export interface SignerSecret {
  resourceVersion?: string;
  active?: SignerKey;
  pending?: SignerKey;
}

/** What an agent reads before each submission: the signer Secret, straight from the API. */
export async function readSigner(
  client: KubeClient,
  namespace: string,
  signingKeyName: string,
): Promise<SignerSecret> {
  const secret = await client.get<KubeObject & { data?: Record<string, string> }>({
    apiVersion: 'v1',
    kind: 'Secret',
    namespace,
    name: signerSecretName(signingKeyName),
  });
  const parse = (key: string) => {
    const value = secret?.data?.[key];
    return value === undefined
      ? undefined
      : parseSignerKey(Buffer.from(value, 'base64').toString('utf8'), key);
  };
  return {
    resourceVersion: secret?.metadata.resourceVersion,
    active: parse(SIGNER_DATA_KEY),
    pending: parse(PENDING_DATA_KEY),
  };
}

let sequence = 0;

/** A fresh, consistent record (its own pcs_id) signed with `signer`, as the JSON an agent posts. */
export function signedRecord(signer: SignerKey, shard: string): string {
  sequence += 1;
  const record = buildRecord({ shard_id: `${shard}-${process.pid}-${sequence}`, epoch: sequence });
  return formatRecord(signRecord(record, signer));
}

/** Backend processes verifying against a keys folder (PCS_KEYS_DIR), reloading it on change. */
export async function startBackends(count: number, keysDir: string): Promise<BackendProcess[]> {
  const backends: BackendProcess[] = [];
  for (let i = 0; i < count; i++) {
    const walDir = mkdtempSync(path.join(os.tmpdir(), 'flk-sk-wal-'));
    backends.push(
      await spawnBackend({
        PCS_KEYS_DIR: keysDir,
        PCS_KEYS_POLL: '1s',
        DEDUP_BACKEND: 'memory',
        WAL_DIR: walDir,
        POD_NAME: `backend-${i}`,
      }),
    );
  }
  return backends;
}

/** The key ids a backend reports on /ready. */
export async function backendKeyIds(url: string): Promise<string[]> {
  const res = await fetch(`${url}/ready`);
  const body = (await res.json()) as { keyIds?: string[] };
  return body.keyIds ?? [];
}

/** Sets (or, with null, removes) annotations by a JSON merge patch of the object's metadata. */
export async function annotate(
  client: KubeClient,
  obj: KubeObject,
  annotations: Record<string, string | null>,
) {
  await client.mergePatch(
    {
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      namespace: obj.metadata.namespace,
      name: obj.metadata.name ?? '',
    },
    { metadata: { annotations } },
    { fieldManager: 'flk-e2e' },
  );
}

/**
 * kwok makes pods Ready the moment they exist, so a rollout would end within a tenth of a second,
 * faster than a real kubelet starts a pod and faster than a backend notices a swapped keys folder
 * (it debounces file events by 200 ms). `minReadySeconds: 3` on the consumer's Deployment, set
 * under a field manager of the test's own (the operator leaves fields it does not own alone),
 * makes a rollout take as long as a quick real one.
 */
export async function slowRollouts(c: KubeClient, namespace: string, name: string): Promise<void> {
  await waitFor(`Deployment ${name} to exist`, 60_000, () =>
    c.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name }),
  );
  await c.apply(
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace },
      spec: { minReadySeconds: 3 },
    },
    { fieldManager: 'flk-e2e-kubelet-pace', force: true },
  );
}
