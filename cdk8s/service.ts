/**
 * ClusterIP Service: the ingest port (80 → 8080 `http`, or 443 → 8443 `https` with spec.tls) and
 * the plain-HTTP admin port 9090 (`admin`: health, readiness, metrics) that a ServiceMonitor
 * scrapes. From the generated `k8s` imports: cdk8s-plus's ServicePort has no appProtocol, which
 * tells meshes and gateways what each port speaks.
 */
import { k8s } from 'cdk8s-plus-34';
import { BACKEND } from '../operator/api/constants.ts';
import { COMPONENTS, childMetadata, selectorLabels } from './metadata.ts';
import { synth } from './synth.ts';
import { ingestPort } from './tls.ts';
import type { KubeManifest, RenderInput } from './types.ts';

export function renderService(input: RenderInput): KubeManifest[] {
  const ingest = ingestPort(input);
  return synth(input.flk.namespace, (chart) => {
    new k8s.KubeService(chart, 'service', {
      metadata: childMetadata(input, { component: COMPONENTS.backend }),
      spec: {
        type: 'ClusterIP',
        selector: selectorLabels(input),
        ports: [
          {
            name: ingest.name,
            port: ingest.servicePort,
            targetPort: k8s.IntOrString.fromNumber(ingest.containerPort),
            protocol: 'TCP',
            appProtocol: ingest.scheme,
          },
          {
            name: BACKEND.adminPortName,
            port: BACKEND.adminPort,
            targetPort: k8s.IntOrString.fromNumber(BACKEND.adminPort),
            protocol: 'TCP',
            appProtocol: 'http',
          },
        ],
      },
    });
  });
}

export function serviceURL(input: RenderInput): string {
  const ingest = ingestPort(input);
  return `${ingest.scheme}://${input.flk.name}.${input.flk.namespace}.svc:${ingest.servicePort}`;
}
