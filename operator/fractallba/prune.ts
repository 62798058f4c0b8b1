import type { Logger } from 'pino';

import { LABELS } from '../api/constants.ts';
import type { KubeObject } from '../kube/types.ts';
import type { ChildChange } from './apply-children.ts';
import { childKey, isOwnedBy } from './children.ts';
import type { FractalLBADeps, FractalLBAObject } from './deps.ts';

/**
 * Step 7: delete children this FractalLBA controls that are no longer rendered (an Ingress turned
 * off, an HPA replaced by fixed replicas). Only objects carrying our controller owner reference
 * are candidates, so a retained WAL claim (no owner reference) and anything a person created are
 * never touched. The delete is conditional on the uid, so a recreated namesake survives.
 */
export async function pruneChildren(
  flk: FractalLBAObject,
  rendered: readonly KubeObject[],
  deps: FractalLBADeps,
  log: Logger,
  changes: ChildChange[],
): Promise<void> {
  const namespace = flk.metadata.namespace ?? '';
  const keep = new Set(rendered.map(childKey));

  for (const cache of deps.caches.children.values()) {
    for (const obj of cache.list(namespace)) {
      if (obj.metadata.labels?.[LABELS.instance] !== flk.metadata.name) continue;
      if (!isOwnedBy(obj, flk.metadata.uid)) continue;

      const key = childKey(obj);
      if (keep.has(key) || deps.expectations.inFlight(key, obj)) continue;

      await deps.api.delete(
        { apiVersion: obj.apiVersion, kind: obj.kind, namespace, name: obj.metadata.name ?? '' },
        { uid: obj.metadata.uid, propagationPolicy: 'Background' },
      );
      deps.expectations.expectGone(key);
      changes.push({ kind: obj.kind, name: obj.metadata.name ?? '', action: 'pruned' });
      log.info(
        { child: `${obj.kind} ${obj.metadata.name}` },
        'pruned child that is no longer rendered',
      );
    }
  }
}
