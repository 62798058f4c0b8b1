import type { Logger } from 'pino';

import { KubeApiError } from '../kube/errors.ts';
import type { KubeObject } from '../kube/types.ts';
import type { ReconcileOutcome } from '../runtime/controller.ts';
import type { SigningKeyDeps, SigningKeyObject } from './deps.ts';
import { signerSecretObject, verifierSecretObject, type SigningKeyRef } from './secrets.ts';
import { writeFailedStatus } from './status.ts';
import type { RotationOutput } from './types.ts';
import { applySecret, writeStatus } from './write.ts';

export interface SecretNames {
  signer: string;
  verifier: string;
}

export interface PersistInput {
  sk: SigningKeyObject;
  owner: SigningKeyRef;
  names: SecretNames;
  live: { signer?: KubeObject; verifier?: KubeObject };
  plan: RotationOutput;
  deps: SigningKeyDeps;
  log: Logger;
}

/**
 * Step 8–9: the plan's writes in the order the restart rules rely on (README.md, "Restart
 * safety") — signer Secret, verifier Secret, status — then its events. When a Secret write fails,
 * status records only the failure (never a step that was not persisted) and the error goes back
 * to the controller for a retry with backoff.
 */
export async function persist(p: PersistInput): Promise<ReconcileOutcome> {
  const { deps, names, plan } = p;
  let wrote = false;
  let step = `Secret ${names.signer}`;
  try {
    wrote =
      (await applySecret(
        signerSecretObject(p.owner, names.signer, plan.signer),
        p.live.signer,
        deps,
      )) || wrote;
    step = `Secret ${names.verifier}`;
    const verifier = verifierSecretObject(p.owner, names.verifier, plan.verifierFiles);
    wrote = (await applySecret(verifier, p.live.verifier, deps)) || wrote;
  } catch (err) {
    await reportWriteFailure(p, step, err);
    throw err;
  }

  const written = await writeStatus(p.sk, plan.status, deps);
  if (plan.events.length > 0) {
    p.log.info(
      {
        activeKeyId: plan.status.activeKeyId,
        events: plan.events.map((e) => e.reason),
        statusWritten: written === 'written',
      },
      'signing key rotation step',
    );
  }
  if (written === 'written') {
    for (const e of plan.events) await deps.events.record(p.sk, e.type, e.reason, e.message);
  }

  // Our own writes come back as watch events; this is the fallback if one is lost.
  const fallback = wrote || written === 'written' ? deps.expectations.lifetimeMs : undefined;
  const after = [plan.requeueAfterMs, fallback].filter((v): v is number => v !== undefined);
  return after.length > 0 ? { requeueAfterMs: Math.min(...after) } : {};
}

async function reportWriteFailure(p: PersistInput, step: string, err: unknown): Promise<void> {
  const detail = err instanceof KubeApiError || err instanceof Error ? err.message : String(err);
  const message = `writing ${step} failed: ${detail.slice(0, 500)}`;
  const now = new Date(p.deps.clock.now());
  try {
    await writeStatus(
      p.sk,
      writeFailedStatus(p.sk.status, p.sk.metadata.generation, now, message),
      p.deps,
    );
  } catch (statusErr) {
    p.log.warn({ err: statusErr }, 'could not write status either');
  }
}
