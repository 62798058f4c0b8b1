import { ANNOTATIONS, signerSecretName, verifierSecretName } from '../api/constants.ts';
import { resolveSigningKey } from '../api/signingkey.ts';
import { TerminalError } from '../kube/errors.ts';
import type { KubeObject } from '../kube/types.ts';
import type {
  ReconcileContext,
  ReconcileOutcome,
  ReconcileRequest,
} from '../runtime/controller.ts';
import { consumersOf } from './consumers.ts';
import type { SigningKeyDeps, SigningKeyObject } from './deps.ts';
import { persist, type SecretNames } from './persist.ts';
import { planRotation } from './plan.ts';
import { REASON, type ConditionReason } from './reasons.ts';
import { readSignerSecret, readVerifierSecret, type SigningKeyRef } from './secrets.ts';
import { readSource } from './source.ts';
import { pausedStatus, stoppedStatus } from './status.ts';
import { secretKey, signingKeyKey, writeStatus } from './write.ts';

/**
 * Converges one SigningKey. Level-based: every run starts from what the caches hold now (the
 * status and both Secrets), so a run interrupted anywhere is finished by the next one.
 *
 *  1. fetch the SigningKey (gone or being deleted: garbage collection removes its Secrets)
 *  2. wait while a write of ours is not in the cache yet (never decide on stale state)
 *  3. paused: say so in status, change nothing else
 *  4. resolve and validate the spec (invalid: Degraded, terminal)
 *  5. read both Secrets (one of that name that is not ours: Degraded, terminal)
 *  6. read the import Secret, find the consumers and their rollouts
 *  7. plan the next rotation step (pure, plan.ts); before a mint, re-read the signer Secret
 *  8. write the signer Secret, then the verifier Secret, then status — each only if changed
 *  9. record the events of the transitions; requeue for the next time-driven step
 */
export async function reconcileSigningKey(
  req: ReconcileRequest,
  ctx: ReconcileContext,
  deps: SigningKeyDeps,
): Promise<ReconcileOutcome> {
  const sk = deps.caches.signingkeys.get(req.namespace, req.name);
  if (!sk || sk.metadata.deletionTimestamp !== undefined) return {};

  const names: SecretNames = {
    signer: signerSecretName(req.name),
    verifier: verifierSecretName(req.name),
  };
  const live = {
    signer: deps.caches.secrets.get(req.namespace, names.signer),
    verifier: deps.caches.secrets.get(req.namespace, names.verifier),
  };
  if (inFlight(deps, sk, names, live)) return { requeueAfterMs: deps.expectations.lifetimeMs };

  const now = new Date(deps.clock.now());
  if (sk.metadata.annotations?.[ANNOTATIONS.paused] === 'true') {
    await writeStatus(sk, pausedStatus(sk.status, sk.metadata.generation, now), deps);
    return {};
  }

  const resolved = resolveSigningKey(sk);
  if (!resolved.ok) {
    return stop(
      sk,
      deps,
      REASON.invalidSpec,
      `the spec is invalid, nothing was changed: ${resolved.errors.join('; ')}`,
    );
  }
  const spec = resolved.spec;

  const owner: SigningKeyRef = {
    name: req.name,
    namespace: req.namespace,
    uid: sk.metadata.uid ?? '',
  };
  const signer = readSignerSecret(live.signer, owner);
  const verifier = readVerifierSecret(live.verifier, owner);
  const foreign = [
    signer.present && !signer.owned ? names.signer : undefined,
    verifier.present && !verifier.owned ? names.verifier : undefined,
  ].filter((n) => n !== undefined);
  if (foreign.length > 0) {
    const message =
      `Secret ${foreign.join(' and ')} exists and is not controlled by this SigningKey; the ` +
      'operator never overwrites it: delete or rename it';
    return stop(sk, deps, REASON.secretNotOwned, message);
  }

  const plan = planRotation({
    now,
    owner,
    generation: sk.metadata.generation,
    spec,
    rotateRequest: sk.metadata.annotations?.[ANNOTATIONS.rotate],
    status: sk.status,
    signer,
    verifier,
    consumers: consumersOf(
      req.namespace,
      req.name,
      deps.caches.fractallbas.list(req.namespace),
      deps.caches.deployments,
    ),
    source: spec.source.mode === 'import' ? await readSource(req.namespace, spec, deps) : undefined,
    mint: () => deps.mint(spec.algorithm, spec.schemes),
  });
  if (plan.minted && !(await unchangedSince(req.namespace, names.signer, live.signer, deps))) {
    ctx.log.info(
      {},
      'the signer Secret changed since the cache read it; deciding again before minting',
    );
    return { requeueAfterMs: 1_000 };
  }

  return persist({ sk, owner, names, live, plan, deps, log: ctx.log });
}

function inFlight(
  deps: SigningKeyDeps,
  sk: SigningKeyObject,
  names: SecretNames,
  live: { signer?: KubeObject; verifier?: KubeObject },
): boolean {
  const ns = sk.metadata.namespace ?? '';
  return [
    deps.expectations.inFlight(signingKeyKey(ns, sk.metadata.name ?? ''), sk),
    deps.expectations.inFlight(secretKey(ns, names.signer), live.signer),
    deps.expectations.inFlight(secretKey(ns, names.verifier), live.verifier),
  ].some(Boolean);
}

/** A fresh read proves no write of the signer Secret is missing from the cache. */
async function unchangedSince(
  namespace: string,
  name: string,
  cached: KubeObject | undefined,
  deps: SigningKeyDeps,
) {
  const fresh = await deps.api.get({ apiVersion: 'v1', kind: 'Secret', namespace, name });
  return fresh?.metadata.resourceVersion === cached?.metadata.resourceVersion;
}

/** Records why nothing can be done, then stops until the SigningKey or its Secrets change. */
async function stop(
  sk: SigningKeyObject,
  deps: SigningKeyDeps,
  reason: ConditionReason,
  message: string,
): Promise<never> {
  const now = new Date(deps.clock.now());
  const written = await writeStatus(
    sk,
    stoppedStatus(sk.status, sk.metadata.generation, now, reason, message),
    deps,
  );
  if (written === 'written') await deps.events.record(sk, 'Warning', reason, message);
  throw new TerminalError(reason, message);
}
