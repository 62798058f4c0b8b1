import type { ReconcileRequest } from '../runtime/controller.ts';
import type { FractalLBADeps, FractalLBAObject } from './deps.ts';

/**
 * Step 1: the FractalLBA from the informer cache. `undefined` means it is gone, and with it every
 * owned child: garbage collection removes them, there is nothing to do.
 */
export function fetchFractalLBA(
  deps: FractalLBADeps,
  req: ReconcileRequest,
): FractalLBAObject | undefined {
  return deps.caches.fractallbas.get(req.namespace, req.name);
}

export function isBeingDeleted(flk: FractalLBAObject): boolean {
  return flk.metadata.deletionTimestamp !== undefined;
}
