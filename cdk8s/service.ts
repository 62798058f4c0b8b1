import { Pods, Service, ServiceType } from 'cdk8s-plus-34';
import { BACKEND } from '../operator/api/constants.ts';
import { COMPONENTS, childMetadata, selectorLabels } from './metadata.ts';
import { synth } from './synth.ts';
import type { KubeManifest, RenderInput } from './types.ts';

/**
 * ClusterIP Service, port 80 → 8080 (`http`). The backend serves /metrics on the same port, so
 * there is no separate metrics port to expose.
 */
export function renderService(input: RenderInput): KubeManifest[] {
  return synth(input.flk.namespace, (chart) => {
    new Service(chart, 'service', {
      metadata: childMetadata(input, { component: COMPONENTS.backend }),
      type: ServiceType.CLUSTER_IP,
      selector: Pods.select(chart, 'backend-pods', { labels: selectorLabels(input) }),
      ports: [{ name: BACKEND.portName, port: BACKEND.servicePort, targetPort: BACKEND.port }],
    });
  });
}

export function serviceURL(input: RenderInput): string {
  return `http://${input.flk.name}.${input.flk.namespace}.svc:${BACKEND.servicePort}`;
}
