/**
 * The writes of a SigningKey reconcile. Each compares before it writes (a settled SigningKey costs
 * nothing), records the version it produced so the next run waits for the cache to show it, and
 * carries the resourceVersion the decision was based on: if anyone wrote in between, the API
 * server answers 409 and the next run decides again from the new state.
 */
import { API_VERSION, SIGNINGKEY } from '../api/constants.ts';
import type { SigningKeyStatus } from '../api/signingkey.ts';
import { decideApply, withAppliedHash } from '../kube/apply.ts';
import { jsonEqual } from '../kube/canonical.ts';
import type { KubeObject } from '../kube/types.ts';
import type { SigningKeyDeps, SigningKeyObject } from './deps.ts';

/** Expectation key of a Secret or of the SigningKey itself. */
export const secretKey = (namespace: string, name: string) => `v1 Secret ${namespace}/${name}`;
export const signingKeyKey = (namespace: string, name: string) =>
  `${SIGNINGKEY.kind} ${namespace}/${name}`;

/**
 * Server-side applies a Secret unless it already is what we would write. A Secret that does not
 * exist yet is not created empty: until the first key, a consumer waits for the verifier Secret
 * (and says so) rather than starting a backend with nothing to verify against. True when written.
 */
export async function applySecret(
  desired: KubeObject,
  live: KubeObject | undefined,
  deps: SigningKeyDeps,
): Promise<boolean> {
  const empty = Object.keys((desired as { data?: object }).data ?? {}).length === 0;
  if (!live && empty) return false;

  const hashed = withAppliedHash(desired);
  if (!decideApply(hashed, live, deps.fieldManager).apply) return false;

  const rv = live?.metadata.resourceVersion;
  const body = rv ? { ...hashed, metadata: { ...hashed.metadata, resourceVersion: rv } } : hashed;
  const written = await deps.api.apply<KubeObject>(body, {
    fieldManager: deps.fieldManager,
    force: true,
  });
  const { namespace = '', name = '' } = desired.metadata;
  deps.expectations.expectVersion(secretKey(namespace, name), written.metadata.resourceVersion);
  return true;
}

export type StatusWrite = 'written' | 'unchanged';

/** Applies `status` through the status subresource (never the spec) when it differs. */
export async function writeStatus(
  sk: SigningKeyObject,
  status: SigningKeyStatus,
  deps: SigningKeyDeps,
): Promise<StatusWrite> {
  if (jsonEqual(status, sk.status ?? {})) return 'unchanged';

  const { namespace = '', name = '', uid, resourceVersion } = sk.metadata;
  const updated = await deps.api.apply<KubeObject>(
    {
      apiVersion: API_VERSION,
      kind: SIGNINGKEY.kind,
      metadata: { name, namespace, uid, resourceVersion },
      status,
    },
    { fieldManager: deps.fieldManager, force: true, subresource: 'status' },
  );
  deps.expectations.expectVersion(signingKeyKey(namespace, name), updated.metadata.resourceVersion);
  return 'written';
}
