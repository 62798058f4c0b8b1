import type { KubeObject } from '../kube/types.ts';
import { kindKey } from './children.ts';
import type { FractalLBADeps } from './deps.ts';
import type { Rendered } from './render.ts';
import { assessRollout, withClaimHint, type Rollout } from './rollout.ts';

/**
 * Step 8a: how the rollout of what was just rendered stands, from the live Deployment (and the
 * WAL claim its pods mount) in the caches.
 */
export function observeRollout(rendered: Rendered, deps: FractalLBADeps): Rollout {
  const deployment = rendered.deployment;
  const name = deployment?.metadata.name ?? rendered.input.flk.name;
  const claim = rendered.manifests.find((m) => m.kind === 'PersistentVolumeClaim');

  const rollout = assessRollout(
    live(deployment as KubeObject | undefined, deps),
    name,
    rendered.deploymentHash,
  );
  return withClaimHint(rollout, live(claim, deps));
}

function live(manifest: KubeObject | undefined, deps: FractalLBADeps): KubeObject | undefined {
  if (!manifest) return undefined;
  const cache = deps.caches.children.get(kindKey(manifest));
  return cache?.get(manifest.metadata.namespace ?? '', manifest.metadata.name ?? '');
}
