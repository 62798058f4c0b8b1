import type { Logger } from 'pino';

import { API_VERSION, FINALIZER_RETAIN_WAL, FRACTALLBA, LABELS } from '../api/constants.ts';
import { resolveFractalLBA, type ResolvedFractalLBASpec } from '../api/fractallba.ts';
import { kindKey, fractalLBAKey, isOwnedBy } from './children.ts';
import type { FractalLBADeps, FractalLBAObject } from './deps.ts';
import { EVENT } from './reasons.ts';

/**
 * The one place deletion needs the operator: a WAL claim with `retainOnDelete` must not be taken
 * by garbage collection. The renderer already leaves the owner reference off such a claim, so in
 * the settled state deletion needs nothing. The finalizer covers the gap while a spec change is
 * not yet applied (retainOnDelete just turned on, the claim still owned) when the delete comes:
 * it is held while retainOnDelete is true, and on deletion the claim is detached before the
 * finalizer is released.
 *
 * Deletion never hangs on the operator beyond its own absence: the finalizer step runs before the
 * pause check and the spec check, needs no rendering and no keys, and an unreadable spec keeps
 * the claim (the safe side) rather than blocking.
 */
const PVC = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' };

export function hasWalFinalizer(flk: FractalLBAObject): boolean {
  return (flk.metadata.finalizers ?? []).includes(FINALIZER_RETAIN_WAL);
}

/** Step 4a (before children are applied): hold the finalizer while retainOnDelete is set. */
export async function holdWalFinalizer(
  flk: FractalLBAObject,
  spec: ResolvedFractalLBASpec,
  deps: FractalLBADeps,
) {
  if (!spec.wal.retainOnDelete || hasWalFinalizer(flk)) return;
  await setFinalizers(flk, [...(flk.metadata.finalizers ?? []), FINALIZER_RETAIN_WAL], deps);
}

/** Step 7a (after children are applied, the claim owned again): drop it once retainOnDelete is off. */
export async function releaseWalFinalizer(
  flk: FractalLBAObject,
  spec: ResolvedFractalLBASpec,
  deps: FractalLBADeps,
) {
  if (spec.wal.retainOnDelete || !hasWalFinalizer(flk)) return;
  await setFinalizers(flk, withoutOurFinalizer(flk), deps);
}

/**
 * On deletion: keep the claim (detach it from the FractalLBA) when the last spec says so, or when
 * the spec cannot be read; when the last spec says not to keep it and an earlier one had detached
 * it, delete it as garbage collection would have. Then release the finalizer.
 */
export async function finalizeDeletion(
  flk: FractalLBAObject,
  deps: FractalLBADeps,
  log: Logger,
): Promise<void> {
  if (!hasWalFinalizer(flk)) return;

  const resolved = resolveFractalLBA(flk);
  const retain = !resolved.ok || resolved.spec.wal.retainOnDelete;
  const namespace = flk.metadata.namespace ?? '';
  const claims = (deps.caches.children.get(kindKey(PVC))?.list(namespace) ?? []).filter(
    (pvc) => pvc.metadata.labels?.[LABELS.instance] === flk.metadata.name,
  );

  for (const pvc of claims) {
    const name = pvc.metadata.name ?? '';
    const owned = isOwnedBy(pvc, flk.metadata.uid);
    if (retain && owned) {
      const owners = (pvc.metadata.ownerReferences ?? []).filter(
        (ref) => ref.uid !== flk.metadata.uid,
      );
      await deps.api.mergePatch(
        { ...PVC, namespace, name },
        { metadata: { ownerReferences: owners, resourceVersion: pvc.metadata.resourceVersion } },
        { fieldManager: deps.fieldManager },
      );
      log.info(
        { child: `PersistentVolumeClaim ${name}` },
        'detached the WAL claim so it outlives the FractalLBA',
      );
      await deps.events.record(
        flk,
        'Normal',
        EVENT.walRetained,
        `kept PersistentVolumeClaim ${name} (spec.wal.retainOnDelete)`,
      );
    } else if (!retain && !owned && pvc.metadata.ownerReferences === undefined) {
      await deps.api.delete({ ...PVC, namespace, name }, { uid: pvc.metadata.uid });
      log.info(
        { child: `PersistentVolumeClaim ${name}` },
        'deleted the detached WAL claim: retainOnDelete is off',
      );
    }
  }

  await setFinalizers(flk, withoutOurFinalizer(flk), deps);
}

function withoutOurFinalizer(flk: FractalLBAObject): string[] {
  return (flk.metadata.finalizers ?? []).filter((f) => f !== FINALIZER_RETAIN_WAL);
}

/**
 * A merge patch of the finalizer list, conditional on the resourceVersion read (409 when someone
 * changed the object meanwhile: the next run sees their change). Finalizers are metadata, not
 * spec: a GitOps tool does not diff them.
 */
async function setFinalizers(flk: FractalLBAObject, finalizers: string[], deps: FractalLBADeps) {
  const namespace = flk.metadata.namespace ?? '';
  const name = flk.metadata.name ?? '';
  const updated = await deps.api.mergePatch(
    { apiVersion: API_VERSION, kind: FRACTALLBA.kind, namespace, name },
    { metadata: { finalizers, resourceVersion: flk.metadata.resourceVersion } },
    { fieldManager: deps.fieldManager },
  );
  deps.expectations.expectVersion(fractalLBAKey(namespace, name), updated.metadata.resourceVersion);
}
