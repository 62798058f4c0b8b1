import type { Logger } from 'pino';

import { applyIfChanged, type ApplyDecision } from '../kube/apply.ts';
import { KubeApiError, TerminalError, classifyError, isNotFound } from '../kube/errors.ts';
import type { KubeObject } from '../kube/types.ts';
import { OPTIONAL_CHILD_KINDS, childKey, isOwnedBy, kindKey } from './children.ts';
import type { FractalLBADeps } from './deps.ts';
import { MissingKindError, RecheckLaterError } from './optional-kinds.ts';
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
 * optional kind the cluster does not serve (no cert-manager, say, or its CRD deleted since) is
 * skipped while the others are applied, and then reported with a {@link MissingKindError}; so is
 * a child whose name an object this FractalLBA does not control already has (see
 * `foreignObjectIn`), with a {@link RecheckLaterError}.
 */
export async function applyChildren(
  manifests: readonly KubeObject[],
  deps: FractalLBADeps,
  log: Logger,
  changes: ChildChange[],
): Promise<ApplyReport> {
  let inFlight = 0;
  const unserved: KubeObject[] = [];
  const conflicts: RecheckLaterError[] = [];

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

    if (!live) {
      const conflict = await foreignObjectIn(desired, deps);
      if (conflict) {
        conflicts.push(conflict);
        continue;
      }
    }

    let result;
    try {
      result = await applyIfChanged(deps.api, desired, live, deps.fieldManager);
    } catch (err) {
      // The CRD was deleted while we watched its kind: the cache is stopped and the child waits
      // like one whose CRD was never there, instead of failing the children after it.
      if (
        OPTIONAL_CHILD_KINDS.has(desired.kind) &&
        deps.optionalKinds &&
        isNotFound(err) &&
        (await deps.optionalKinds.reportFailure(desired, err))
      ) {
        unserved.push(desired);
        continue;
      }
      throw applyError(err, what, live, deps.fieldManager);
    }
    if (!result.decision.apply) continue;

    deps.expectations.expectVersion(key, result.object?.metadata.resourceVersion);
    const change = toChange(desired, result.decision, result.object, deps.fieldManager);
    changes.push(change);
    log.info({ child: what, action: change.action, fields: change.fields }, 'applied child');
  }
  // Reported after the other children are applied: neither blocks them.
  if (conflicts.length > 0) {
    throw new RecheckLaterError(
      REASON.applyFailed,
      conflicts.map((c) => c.message).join('; '),
      Math.min(...conflicts.map((c) => c.retryAfterMs)),
    );
  }
  if (unserved.length > 0) throw missingKinds(unserved);
  return { inFlight };
}

/**
 * A child missing from our cache may still exist: the caches hold only objects with our
 * managed-by label, so one that someone else created under the child's name (a Certificate of
 * their own called `<name>-tls`, say) is not in it. Server-side apply with force would take it
 * over: rewrite its spec, and add our controller reference, so that deleting the FractalLBA would
 * delete it. One GET, only for children the cache lacks (a create, or our own child whose labels
 * were removed), tells them apart; the second kind carries our controller reference.
 */
async function foreignObjectIn(
  desired: KubeObject,
  deps: FractalLBADeps,
): Promise<RecheckLaterError | undefined> {
  const { namespace, name } = desired.metadata;
  const owner = desired.metadata.ownerReferences?.find((r) => r.controller);
  // A retained WAL claim carries no owner reference by design; one found is ours to reattach.
  if (!owner) return undefined;
  const existing = await deps.api.get({
    apiVersion: desired.apiVersion,
    kind: desired.kind,
    namespace,
    name: name ?? '',
  });
  if (!existing || isOwnedBy(existing, owner.uid)) return undefined;
  if (existing.metadata.deletionTimestamp) {
    return new RecheckLaterError(
      REASON.applyFailed,
      `${desired.kind} ${name} is being deleted; it is created again once it is gone`,
      5_000,
    );
  }
  const controller = existing.metadata.ownerReferences?.find((r) => r.controller);
  const whose = controller
    ? `it is controlled by ${controller.kind} ${controller.name}`
    : 'it was not created by this FractalLBA';
  return new RecheckLaterError(
    REASON.applyFailed,
    `${desired.kind} ${namespace}/${name} already exists and ${whose}, so the operator leaves it ` +
      `alone: delete or rename it to have the operator create its own (looked at again every 30 s)`,
  );
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
