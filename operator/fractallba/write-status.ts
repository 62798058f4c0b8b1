import { API_VERSION, FRACTALLBA } from '../api/constants.ts';
import type { FractalLBAStatus } from '../api/fractallba.ts';
import { jsonEqual } from '../kube/canonical.ts';
import { fractalLBAKey } from './children.ts';
import type { FractalLBADeps, FractalLBAObject } from './deps.ts';

export type StatusWrite = 'written' | 'unchanged' | 'deferred';

/**
 * Step 8: server-side apply of `status` through the status subresource (the spec is never
 * written: a GitOps tool must see no drift), only when it differs from what the object already
 * says. The body carries the uid, so a FractalLBA deleted and recreated under the same name is
 * never given its predecessor's status. While our previous status write is not yet in the cache,
 * the write is deferred: the event that brings it requeues the object.
 */
export async function writeStatus(
  flk: FractalLBAObject,
  status: FractalLBAStatus,
  deps: FractalLBADeps,
): Promise<StatusWrite> {
  const namespace = flk.metadata.namespace ?? '';
  const name = flk.metadata.name ?? '';
  const key = fractalLBAKey(namespace, name);

  if (deps.expectations.inFlight(key, flk)) return 'deferred';
  if (jsonEqual(status, flk.status ?? {})) return 'unchanged';

  const updated = await deps.api.apply(
    {
      apiVersion: API_VERSION,
      kind: FRACTALLBA.kind,
      metadata: { name, namespace, uid: flk.metadata.uid },
      status,
    },
    { fieldManager: deps.fieldManager, force: true, subresource: 'status' },
  );
  deps.expectations.expectVersion(key, updated.metadata.resourceVersion);
  return 'written';
}
