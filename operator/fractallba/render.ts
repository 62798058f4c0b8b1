import {
  renderFractalLBA,
  serviceURL,
  type KubeManifest,
  type RenderInput,
} from '../../cdk8s/render.ts';
import type { ResolvedFractalLBASpec } from '../api/fractallba.ts';
import { APPLIED_HASH_ANNOTATION, withAppliedHash } from '../kube/apply.ts';
import type { KubeObject } from '../kube/types.ts';
import type { FractalLBADeps, FractalLBAObject } from './deps.ts';
import type { ResolvedKeys } from './keys.ts';

export interface Rendered {
  manifests: KubeObject[];
  input: RenderInput;
  /** The backend Deployment, whose rollout the status reports. */
  deployment: KubeManifest | undefined;
  /** Its applied-hash: the rollout is judged only on a live Deployment that carries it. */
  deploymentHash: string | undefined;
  serviceURL: string;
}

/** Step 5: every child, as the pure renderer computes it from the spec and keys. */
export function renderChildren(
  flk: FractalLBAObject,
  spec: ResolvedFractalLBASpec,
  keys: Extract<ResolvedKeys, { ok: true }>,
  deps: FractalLBADeps,
): Rendered {
  const input: RenderInput = {
    flk: {
      name: flk.metadata.name ?? '',
      namespace: flk.metadata.namespace ?? '',
      uid: flk.metadata.uid ?? '',
      generation: flk.metadata.generation ?? 0,
      labels: flk.metadata.labels,
    },
    spec,
    keys: keys.keys,
    configChecksum: keys.configChecksum,
    operatorNamespace: deps.operatorNamespace,
  };
  const manifests = renderFractalLBA(input);
  const deployment = manifests.find((m) => m.kind === 'Deployment');

  return {
    manifests: manifests as KubeObject[],
    input,
    deployment,
    deploymentHash:
      deployment &&
      withAppliedHash(deployment as KubeObject).metadata.annotations?.[APPLIED_HASH_ANNOTATION],
    serviceURL: serviceURL(input),
  };
}
