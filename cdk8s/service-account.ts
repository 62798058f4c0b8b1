import { ServiceAccount } from 'cdk8s-plus-34';
import { COMPONENTS, childMetadata } from './metadata.ts';
import { synth } from './synth.ts';
import type { KubeManifest, RenderInput } from './types.ts';

/** The backend's own identity; it needs no API access, so no token is mounted. */
export function renderServiceAccount(input: RenderInput): KubeManifest[] {
  return synth(input.flk.namespace, (chart) => {
    new ServiceAccount(chart, 'service-account', {
      metadata: childMetadata(input, { component: COMPONENTS.backend }),
      automountToken: false,
    });
  });
}
