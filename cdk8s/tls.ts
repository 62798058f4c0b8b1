/**
 * Transport security of the backend (spec.tls): which port and scheme the ingest API uses, the
 * Secrets the pod mounts for it, and the cert-manager Certificate when the operator asks
 * cert-manager for the serving certificate. The backend reloads both Secrets live (it watches the
 * mounted files), so neither is part of the pod-template checksum: a renewed certificate never
 * rolls the pods.
 */
import { ApiObject } from 'cdk8s';
import type { k8s } from 'cdk8s-plus-34';
import { BACKEND, BACKEND_ENV as E, TLS_SECRET_KEYS } from '../operator/api/constants.ts';
import { canonicalDuration } from '../operator/api/duration.ts';
import { CERT_MANAGER_GROUP } from '../operator/api/fractallba-tls.ts';
import { COMPONENTS, SUFFIX, childMetadata, childName } from './metadata.ts';
import { synth } from './synth.ts';
import type { KubeManifest, RenderInput } from './types.ts';

export const CERT_MANAGER_API = `${CERT_MANAGER_GROUP}/v1`;

const VOLUMES = { tls: 'tls', clientCA: 'client-ca' } as const;

/** The ingest listener: container port, its name, the Service port and the URL scheme. */
export interface IngestPort {
  containerPort: number;
  name: string;
  servicePort: number;
  scheme: 'http' | 'https';
}

export function ingestPort(input: RenderInput): IngestPort {
  return input.spec.tls
    ? {
        containerPort: BACKEND.tlsPort,
        name: BACKEND.tlsPortName,
        servicePort: BACKEND.tlsServicePort,
        scheme: 'https',
      }
    : {
        containerPort: BACKEND.port,
        name: BACKEND.portName,
        servicePort: BACKEND.servicePort,
        scheme: 'http',
      };
}

/** The Secret with the serving certificate: the user's, or the one cert-manager writes. */
export function servingSecretName(input: RenderInput): string | undefined {
  const tls = input.spec.tls;
  if (!tls) return undefined;
  return tls.secretName ?? childName(input, SUFFIX.tls);
}

/** DNS names the serving certificate must carry: how clients inside the cluster reach it. */
export function serviceDnsNames(input: RenderInput): string[] {
  const { name, namespace } = input.flk;
  return [
    name,
    `${name}.${namespace}`,
    `${name}.${namespace}.svc`,
    `${name}.${namespace}.svc.cluster.local`,
  ];
}

export function tlsEnv(input: RenderInput): Record<string, string> {
  const tls = input.spec.tls;
  if (!tls) return {};
  return {
    [E.tlsCertFile]: `${BACKEND.tlsDir}/${TLS_SECRET_KEYS.cert}`,
    [E.tlsKeyFile]: `${BACKEND.tlsDir}/${TLS_SECRET_KEYS.key}`,
    ...(tls.clientCA && { [E.tlsClientCAFile]: `${BACKEND.clientCADir}/${tls.clientCA.key}` }),
  };
}

/** Whole-Secret volumes, never subPath: kubelet then swaps a renewed certificate in place. */
export function tlsVolumes(input: RenderInput): k8s.Volume[] {
  const tls = input.spec.tls;
  const serving = servingSecretName(input);
  if (!tls || !serving) return [];
  return [
    { name: VOLUMES.tls, secret: { secretName: serving, defaultMode: 0o440 } },
    ...(tls.clientCA
      ? [
          {
            name: VOLUMES.clientCA,
            secret: { secretName: tls.clientCA.secretName, defaultMode: 0o440 },
          },
        ]
      : []),
  ];
}

export function tlsMounts(input: RenderInput): k8s.VolumeMount[] {
  const tls = input.spec.tls;
  if (!tls) return [];
  return [
    { name: VOLUMES.tls, mountPath: BACKEND.tlsDir, readOnly: true },
    ...(tls.clientCA
      ? [{ name: VOLUMES.clientCA, mountPath: BACKEND.clientCADir, readOnly: true }]
      : []),
  ];
}

/**
 * cert-manager Certificate (a raw ApiObject: no typed import exists for it). Durations go out in
 * Go's notation (`90d` as `2160h`), which is what cert-manager parses. cert-manager keeps
 * the Secret's tls.crt/tls.key current; the backend picks up each renewal without a restart.
 */
export function renderCertificate(input: RenderInput): KubeManifest[] {
  const cert = input.spec.tls?.certificate;
  if (!cert) return [];
  return synth(input.flk.namespace, (chart) => {
    new ApiObject(chart, 'certificate', {
      apiVersion: CERT_MANAGER_API,
      kind: 'Certificate',
      metadata: childMetadata(input, { suffix: SUFFIX.tls, component: COMPONENTS.tls }),
      spec: {
        secretName: childName(input, SUFFIX.tls),
        issuerRef: {
          name: cert.issuerRef.name,
          kind: cert.issuerRef.kind,
          group: cert.issuerRef.group,
        },
        dnsNames: cert.dnsNames ?? serviceDnsNames(input),
        ...(cert.duration !== undefined && { duration: canonicalDuration(cert.duration) }),
        ...(cert.renewBefore !== undefined && { renewBefore: canonicalDuration(cert.renewBefore) }),
        // A fresh key on every renewal, so a leaked key stops being useful at the next one.
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        usages: ['server auth', 'digital signature'],
      },
    });
  });
}
