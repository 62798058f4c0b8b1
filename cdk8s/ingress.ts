/**
 * Optional Ingress for the ingest API only (`/v1/pcs`): /metrics and the probes stay inside the
 * cluster. From the generated `k8s` imports: cdk8s-plus's Ingress backend needs the Service
 * construct in the same scope, and we render each child alone.
 *
 * The TLS annotations are ingress-nginx's (the common controller) and cert-manager's ingress-shim;
 * spec.ingress.annotations are applied last, so another controller's equivalents can be given
 * there and any rendered value overridden.
 */
import { k8s } from 'cdk8s-plus-34';
import { BACKEND } from '../operator/api/constants.ts';
import { CERT_MANAGER_GROUP } from '../operator/api/fractallba-tls.ts';
import { COMPONENTS, SUFFIX, childMetadata, childName } from './metadata.ts';
import { synth } from './synth.ts';
import { ingestPort } from './tls.ts';
import type { KubeManifest, RenderInput } from './types.ts';

const NGINX = 'nginx.ingress.kubernetes.io';
const CERT_MANAGER = 'cert-manager.io';

/** Secret of the edge certificate: the user's, or the one cert-manager's ingress-shim fills. */
export function edgeSecretName(input: RenderInput): string | undefined {
  const ing = input.spec.ingress;
  if (ing.host === undefined) return undefined;
  return ing.tlsSecretName ?? (ing.issuerRef ? childName(input, SUFFIX.ingressTls) : undefined);
}

/**
 * With spec.tls the controller talks HTTPS to the backend; with a client CA it must present a
 * client certificate there, and it verifies the agents' certificates at the edge against the same
 * CA, so the Ingress is no way around mTLS.
 */
function tlsAnnotations(input: RenderInput): Record<string, string> {
  const { tls, ingress } = input.spec;
  const ns = input.flk.namespace;
  const out: Record<string, string> = {};

  const issuer = ingress.issuerRef;
  if (issuer) {
    const clusterWide = issuer.kind === 'ClusterIssuer' && issuer.group === CERT_MANAGER_GROUP;
    out[`${CERT_MANAGER}/${clusterWide ? 'cluster-issuer' : 'issuer'}`] = issuer.name;
    if (!clusterWide && (issuer.kind !== 'Issuer' || issuer.group !== CERT_MANAGER_GROUP)) {
      out[`${CERT_MANAGER}/issuer-kind`] = issuer.kind;
      out[`${CERT_MANAGER}/issuer-group`] = issuer.group;
    }
  }
  if (!tls) return out;

  out[`${NGINX}/backend-protocol`] = 'HTTPS';
  if (tls.clientCA) {
    out[`${NGINX}/auth-tls-secret`] = `${ns}/${tls.clientCA.secretName}`;
    out[`${NGINX}/auth-tls-verify-client`] = 'on';
    if (ingress.backendClientCertSecretName) {
      out[`${NGINX}/proxy-ssl-secret`] = `${ns}/${ingress.backendClientCertSecretName}`;
      out[`${NGINX}/proxy-ssl-name`] = `${input.flk.name}.${ns}.svc`;
      out[`${NGINX}/proxy-ssl-server-name`] = 'on';
    }
  }
  return out;
}

export function renderIngress(input: RenderInput): KubeManifest[] {
  const ing = input.spec.ingress;
  const path: k8s.HttpIngressPath = {
    path: BACKEND.ingestPathPrefix,
    pathType: 'Prefix',
    backend: { service: { name: childName(input), port: { name: ingestPort(input).name } } },
  };
  const edgeSecret = edgeSecretName(input);

  return synth(input.flk.namespace, (chart) => {
    new k8s.KubeIngress(chart, 'ingress', {
      metadata: childMetadata(input, {
        component: COMPONENTS.backend,
        annotations: { ...tlsAnnotations(input), ...ing.annotations },
      }),
      spec: {
        ...(ing.className !== undefined && { ingressClassName: ing.className }),
        rules: [{ ...(ing.host !== undefined && { host: ing.host }), http: { paths: [path] } }],
        ...(edgeSecret !== undefined &&
          ing.host !== undefined && { tls: [{ hosts: [ing.host], secretName: edgeSecret }] }),
      },
    });
  });
}
