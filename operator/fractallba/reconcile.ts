import type { Logger } from 'pino';

import type { ResolvedFractalLBASpec } from '../api/fractallba.ts';
import { KubeApiError, TerminalError, classifyError } from '../kube/errors.ts';
import type {
  ReconcileContext,
  ReconcileOutcome,
  ReconcileRequest,
} from '../runtime/controller.ts';
import { applyChildren, type ChildChange } from './apply-children.ts';
import type { FractalLBADeps, FractalLBAObject } from './deps.ts';
import { fetchFractalLBA, isBeingDeleted } from './fetch.ts';
import { resolveKeys } from './keys.ts';
import { observeRollout } from './observe-rollout.ts';
import { MissingKindError, RecheckLaterError } from './optional-kinds.ts';
import { isPaused } from './paused.ts';
import { pruneChildren } from './prune.ts';
import { REASON } from './reasons.ts';
import { recordChildChanges, recordTransition } from './record-events.ts';
import { renderChildren } from './render.ts';
import { resolveSpec } from './spec.ts';
import { computeStatus, pausedStatus, type Outcome } from './status.ts';
import { finalizeDeletion, holdWalFinalizer, releaseWalFinalizer } from './wal-finalizer.ts';
import { writeStatus } from './write-status.ts';

/**
 * Converges one FractalLBA. Level-based: every run starts from what the caches say now, so a run
 * interrupted anywhere (the operator killed mid-way) is finished by the next one.
 *
 *  1. fetch the FractalLBA (gone: garbage collection removes its children)
 *  2. being deleted: detach a retained WAL claim, release the finalizer, stop
 *  3. paused: say so in status, change nothing else
 *  4. resolve and validate the spec (invalid: Degraded, terminal)
 *  5. resolve the verifier Secrets of its SigningKeys (missing: Progressing, WaitingForKeys)
 *  6. render the children, hold the WAL finalizer if needed, apply what changed
 *  7. prune children no longer rendered, release the WAL finalizer if no longer needed
 *  8. compute status from the live Deployment; write it through /status if it changed
 *  9. record events for what changed
 */
export async function reconcileFractalLBA(
  req: ReconcileRequest,
  ctx: ReconcileContext,
  deps: FractalLBADeps,
): Promise<ReconcileOutcome> {
  const flk = fetchFractalLBA(deps, req);
  if (!flk) return {};

  if (isBeingDeleted(flk)) {
    await finalizeDeletion(flk, deps, ctx.log);
    return {};
  }

  if (isPaused(flk)) return reportPaused(flk, deps);

  const run = await converge(flk, deps, ctx.log);

  return finish(flk, run, deps, ctx.log);
}

interface Run {
  outcome: Outcome;
  changes: ChildChange[];
  spec?: ResolvedFractalLBASpec;
  keyIds?: string[];
  serviceURL?: string;
  inFlight: number;
  /** The error that stopped the run, rethrown after status is written. */
  failure?: unknown;
}

/** Steps 4–7. Never throws: a failure becomes the run's outcome and is rethrown by `finish`. */
async function converge(flk: FractalLBAObject, deps: FractalLBADeps, log: Logger): Promise<Run> {
  const changes: ChildChange[] = [];

  const resolved = resolveSpec(flk);
  if (!resolved.ok) {
    const outcome: Outcome = { kind: 'invalid', errors: resolved.errors };
    return {
      outcome,
      changes,
      inFlight: 0,
      failure: new TerminalError(REASON.invalidSpec, resolved.errors.join('; ')),
    };
  }
  const spec = resolved.spec;

  const keys = resolveKeys(flk.metadata.namespace ?? '', spec, deps.caches.secrets);
  if (!keys.ok) {
    return {
      outcome: { kind: 'waiting', reason: keys.reason, message: keys.message },
      changes,
      spec,
      inFlight: 0,
    };
  }

  const rendered = renderChildren(flk, spec, keys, deps);
  const base = { changes, spec, keyIds: keys.keyIds, serviceURL: rendered.serviceURL };
  try {
    await holdWalFinalizer(flk, spec, deps);
    const applied = await applyChildren(rendered.manifests, deps, log, changes);
    await pruneChildren(flk, rendered.manifests, deps, log, changes);
    await releaseWalFinalizer(flk, spec, deps);

    const rollout = observeRollout(rendered, deps);
    return { ...base, outcome: { kind: 'applied', rollout }, inFlight: applied.inFlight };
  } catch (err) {
    return { ...base, outcome: failedOutcome(err), inFlight: 0, failure: err };
  }
}

/** Steps 8–9, then the run's own failure (if any) goes back to the controller for its class. */
async function finish(
  flk: FractalLBAObject,
  run: Run,
  deps: FractalLBADeps,
  log: Logger,
): Promise<ReconcileOutcome> {
  // The world moved on (conflict, gone): the next run decides the status from fresh state.
  if (run.failure !== undefined && classifyError(run.failure) === 'moved-on') {
    await recordChildChanges(flk, run.changes, deps);
    throw run.failure;
  }

  const status = computeStatus({
    previous: flk.status,
    generation: flk.metadata.generation,
    outcome: run.outcome,
    now: new Date(deps.clock.now()),
    keyIds: run.keyIds,
    serviceURL: run.serviceURL,
  });

  let written: Awaited<ReturnType<typeof writeStatus>> | undefined;
  let statusError: unknown;
  try {
    written = await writeStatus(flk, status, deps);
  } catch (err) {
    statusError = err;
  }

  await recordChildChanges(flk, run.changes, deps);
  if (written === 'written')
    await recordTransition(flk, flk.status?.conditions, status.conditions, deps);

  if (run.failure instanceof RecheckLaterError && statusError === undefined) {
    // Not an error to back off from, and not final either: look again once the add-on may be in
    // (or the object in the child's way is gone); no event would tell us.
    const level = written === 'written' ? 'warn' : 'debug';
    const msg =
      run.failure instanceof MissingKindError ? 'waiting for a CRD' : 'waiting for a change';
    log[level]({ reason: run.failure.reason, problem: run.failure.message }, msg);
    return { requeueAfterMs: run.failure.retryAfterMs };
  }
  if (run.failure !== undefined) {
    if (statusError !== undefined) log.warn({ err: statusError }, 'could not write status either');
    throw run.failure;
  }
  if (statusError !== undefined) throw statusError;

  // Our own writes are in flight: their events requeue us; this is the fallback if one is lost.
  const waiting = run.inFlight > 0 || written === 'deferred';
  return waiting ? { requeueAfterMs: deps.expectations.lifetimeMs } : {};
}

async function reportPaused(
  flk: FractalLBAObject,
  deps: FractalLBADeps,
): Promise<ReconcileOutcome> {
  const status = pausedStatus(flk.status, flk.metadata.generation, new Date(deps.clock.now()));

  const written = await writeStatus(flk, status, deps);

  if (written === 'written')
    await recordTransition(flk, flk.status?.conditions, status.conditions, deps);
  return written === 'deferred' ? { requeueAfterMs: deps.expectations.lifetimeMs } : {};
}

function failedOutcome(err: unknown): Outcome {
  if (err instanceof TerminalError)
    return { kind: 'failed', reason: err.reason, message: err.message, terminal: true };
  const message = err instanceof KubeApiError || err instanceof Error ? err.message : String(err);
  return { kind: 'failed', reason: REASON.applyFailed, message, terminal: false };
}
