/** PodDisruptionBudget. cdk8s-plus has no PDB construct, so this uses the generated imports. */
import { k8s } from 'cdk8s-plus-34';
import { COMPONENTS, childMetadata, selectorLabels } from './metadata.ts';
import { synth } from './synth.ts';
import type { KubeManifest, RenderInput } from './types.ts';

const intOrString = (v: number | string) =>
  typeof v === 'number' ? k8s.IntOrString.fromNumber(v) : k8s.IntOrString.fromString(v);

export function renderPdb(input: RenderInput): KubeManifest[] {
  const { minAvailable, maxUnavailable } = input.spec.pdb;
  return synth(input.flk.namespace, (chart) => {
    new k8s.KubePodDisruptionBudget(chart, 'pdb', {
      metadata: childMetadata(input, { component: COMPONENTS.backend }),
      spec: {
        selector: { matchLabels: selectorLabels(input) },
        ...(minAvailable !== undefined && { minAvailable: intOrString(minAvailable) }),
        ...(maxUnavailable !== undefined && { maxUnavailable: intOrString(maxUnavailable) }),
        // A pod that is not Ready protects nothing; never let it block a node drain.
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });
  });
}
