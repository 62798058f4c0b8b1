import type { Logger } from 'pino';

import { applyIfChanged, type ApplyDecision } from '../kube/apply.ts';
import { KubeApiError, TerminalError, classifyError } from '../kube/errors.ts';
import type { KubeObject } from '../kube/types.ts';
import { OPTIONAL_CHILD_KINDS, childKey, kindKey } from './children.ts';
import type { FractalLBADeps } from './deps.ts';
import { MissingKindError } from './optional-kinds.ts';
import { REASON } from './reasons.ts';

/** One change the operator made to a child, for events and logs. */
export interface ChildChange {
  kind: string;
  name: string;
  action: 'created' | 'updated' | 'reverted' | 'pruned';
  /** For `reverted`: the fields someone else had changed or removed. */
  fields?: string[];
}

export interface ApplyReport {
  /** Children whose last write the cache has not shown yet; they were left alone this time. */
  inFlight: number;
}

/**
 * Step 6: server-side apply of each rendered child, in render order, skipping every child whose
 * live state already is what we would write (see `decideApply`) and every child whose previous
 * write the cache has not caught up with. A child the server refuses as invalid stops the
 * reconcile with a terminal error naming it; transient failures are retried. A child of an
 * optional kind the cluster does not serve (no cert-manager, say) is skipped while the others are
 * applied, and then reported with a {@link MissingKindError}.
 */
export async function applyChildren(
  manifests: readonly KubeObject[],
  deps: FractalLBADeps,
  log: Logger,
  changes: ChildChange[],
): Promise<ApplyReport> {
  let inFlight = 0;
  const unserved: KubeObject[] = [];

  for (const desired of manifests) {
    const cache =
      deps.caches.children.get(kindKey(desired)) ??
      (OPTIONAL_CHILD_KINDS.has(desired.kind)
        ? await deps.optionalKinds?.ensure(desired)
        : undefined);
    const what = `${desired.kind} ${desired.metadata.name}`;
    if (!cache) {
      if (!OPTIONAL_CHILD_KINDS.has(desired.kind)) throw notServed(desired);
      unserved.push(desired);
      continue;
    }

    const key = childKey(desired);
    const live = cache.get(desired.metadata.namespace ?? '', desired.metadata.name ?? '');
    if (deps.expectations.inFlight(key, live)) {
      inFlight++;
      continue;
    }

    let result;
    try {
      result = await applyIfChanged(deps.api, desired, live, deps.fieldManager);
    } catch (err) {
      throw applyError(err, what, live, deps.fieldManager);
    }
    if (!result.decision.apply) continue;

    deps.expectations.expectVersion(key, result.object?.metadata.resourceVersion);
    const change = toChange(desired, result.decision, result.object, deps.fieldManager);
    changes.push(change);
    log.info({ child: what, action: change.action, fields: change.fields }, 'applied child');
  }
  if (unserved.length > 0) throw missingKinds(unserved);
  return { inFlight };
}

function toChange(
  desired: KubeObject,
  decision: Extract<ApplyDecision, { apply: true }>,
  applied: KubeObject | undefined,
  fieldManager: string,
): ChildChange {
  const base = { kind: desired.kind, name: desired.metadata.name ?? '' };
  switch (decision.reason) {
    case 'absent':
      // Not in the cache, yet it existed: someone removed the labels the caches select on.
      return createdNow(applied, fieldManager)
        ? { ...base, action: 'created' }
        : { ...base, action: 'reverted', fields: ['metadata.labels'] };
    case 'desired-changed':
      return { ...base, action: 'updated' };
    case 'fields-lost':
      return { ...base, action: 'reverted', fields: decision.fields };
  }
}

/** True when the apply created the object: it was created in the request that made our entry. */
function createdNow(applied: KubeObject | undefined, fieldManager: string): boolean {
  const ours = applied?.metadata.managedFields?.find(
    (m) => m.manager === fieldManager && m.operation === 'Apply' && !m.subresource,
  );
  const created = applied?.metadata.creationTimestamp;
  return !ours?.time || !created || ours.time === created;
}

function notServed(desired: KubeObject): TerminalError {
  return new TerminalError(
    REASON.applyFailed,
    `${servedMessage(desired)}: the operator needs a Kubernetes version that serves it`,
  );
}

function missingKinds(unserved: readonly KubeObject[]): MissingKindError {
  return new MissingKindError(
    unserved
      .map((d) => `${servedMessage(d)}: ${OPTIONAL_CHILD_KINDS.get(d.kind) ?? 'install its CRD'}`)
      .join('; '),
  );
}

function servedMessage(desired: KubeObject): string {
  return `the cluster does not serve ${desired.apiVersion} ${desired.kind} (needed for ${desired.kind} ${desired.metadata.name})`;
}

/** Gives an apply failure the child's name and its class (invalid → terminal, else as it was). */
function applyError(
  err: unknown,
  what: string,
  live: KubeObject | undefined,
  fieldManager: string,
): unknown {
  if (!(err instanceof KubeApiError)) {
    return new Error(`applying ${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
  if (err.statusCode === 422 || err.statusCode === 400) {
    // Server-side apply never removes what another manager set (a list entry added by hand, say);
    // when that clashes with ours, only a person can settle it.
    const others = [
      ...new Set((live?.metadata.managedFields ?? []).map((m) => m.manager ?? '')),
    ].filter((m) => m && m !== fieldManager && !m.startsWith('kube-'));
    const hint = others.length
      ? `; ${others.join(', ')} also set fields on it: undo that edit, or delete the ${what.split(' ')[0]} to have it recreated`
      : '';
    return new TerminalError(
      REASON.applyFailed,
      `the API server rejected ${what}: ${err.message}${hint}`,
      { cause: err },
    );
  }
  if (classifyError(err) === 'moved-on') return err;
  return new KubeApiError(
    err.statusCode,
    `applying ${what}: ${err.message}`,
    err.reason,
    err.verb,
    err.path,
  );
}
