/**
 * The consumers of a SigningKey — the FractalLBAs in its namespace whose spec.signing.keyRefs
 * name it — and how far each has rolled out its verifier set, read from the API (no pod is
 * asked anything): a consumer has rolled out key X when its backend Deployment's pod template
 * lists X in the key-ids annotation and the rollout is complete, as `kubectl rollout status`
 * judges it (observedGeneration caught up, every replica updated and available, no old pods).
 */
import { ANNOTATIONS } from '../api/constants.ts';
import { resolveFractalLBA } from '../api/fractallba.ts';
import type { FractalLBAObject, ObjectCache } from '../fractallba/deps.ts';
import { assessRollout } from '../fractallba/rollout.ts';
import type { KubeObject } from '../kube/types.ts';
import type { Consumer, ConsumerRollout } from './types.ts';

/** The SigningKey names a FractalLBA's spec references (read raw, so an invalid spec still counts). */
export function referencedSigningKeys(flk: FractalLBAObject): string[] {
  const signing = (flk.spec as { signing?: { mode?: unknown; keyRefs?: unknown } } | undefined)
    ?.signing;
  if (signing?.mode === 'none' || !Array.isArray(signing?.keyRefs)) return [];
  return signing.keyRefs
    .map((ref: unknown) => (ref as { name?: unknown })?.name)
    .filter((name): name is string => typeof name === 'string');
}

export function consumersOf(
  namespace: string,
  signingKey: string,
  fractallbas: readonly FractalLBAObject[],
  deployments: ObjectCache,
): Consumer[] {
  return fractallbas
    .filter(
      (flk) =>
        flk.metadata.deletionTimestamp === undefined &&
        referencedSigningKeys(flk).includes(signingKey),
    )
    .map((flk) => {
      const name = flk.metadata.name ?? '';
      const resolved = resolveFractalLBA(flk);
      const deployment = deployments.get(namespace, name);
      const owned = deployment?.metadata.ownerReferences?.some(
        (r) => r.controller && r.uid === flk.metadata.uid,
      );
      return {
        name,
        dedupTtl: resolved.ok ? resolved.spec.dedup.ttl : undefined,
        rollout: rolloutOf(owned ? deployment : undefined, name),
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** The key ids a Deployment's pod template lists. */
export function templateKeyIds(deployment: KubeObject | undefined): string[] {
  const template = (
    deployment?.spec as { template?: { metadata?: { annotations?: Record<string, string> } } }
  )?.template;
  const value = template?.metadata?.annotations?.[ANNOTATIONS.keyIds] ?? '';
  return value.split(',').filter(Boolean);
}

export function rolloutOf(deployment: KubeObject | undefined, name: string): ConsumerRollout {
  const rollout = assessRollout(deployment, name);
  return {
    keyIds: templateKeyIds(deployment),
    complete: rollout.state === 'complete',
    message:
      rollout.state === 'complete' ? `Deployment ${name}: ${rollout.message}` : rollout.message,
  };
}
