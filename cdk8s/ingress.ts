/**
 * Optional Ingress for the ingest API only (`/v1/pcs`): /metrics and the probes stay inside the
 * cluster. From the generated `k8s` imports: cdk8s-plus's Ingress backend needs the Service
 * construct in the same scope, and we render each child alone.
 */
import { k8s } from 'cdk8s-plus-34';
import { BACKEND } from '../operator/api/constants.ts';
import { COMPONENTS, childMetadata, childName } from './metadata.ts';
import { synth } from './synth.ts';
import type { KubeManifest, RenderInput } from './types.ts';

export function renderIngress(input: RenderInput): KubeManifest[] {
  const ing = input.spec.ingress;
  const path: k8s.HttpIngressPath = {
    path: BACKEND.ingestPathPrefix,
    pathType: 'Prefix',
    backend: { service: { name: childName(input), port: { name: BACKEND.portName } } },
  };

  return synth(input.flk.namespace, (chart) => {
    new k8s.KubeIngress(chart, 'ingress', {
      metadata: childMetadata(input, {
        component: COMPONENTS.backend,
        annotations: ing.annotations,
      }),
      spec: {
        ...(ing.className !== undefined && { ingressClassName: ing.className }),
        rules: [{ ...(ing.host !== undefined && { host: ing.host }), http: { paths: [path] } }],
        ...(ing.tlsSecretName !== undefined &&
          ing.host !== undefined && {
            tls: [{ hosts: [ing.host], secretName: ing.tlsSecretName }],
          }),
      },
    });
  });
}
