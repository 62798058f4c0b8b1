/**
 * cert-manager's Certificate CRD (cert-manager.io/v1), CRDs only: no cert-manager controller runs
 * in the tests, so nothing issues certificates; the tests read the Certificate the operator
 * writes. The schema is written here for the fields FLK renders, structural and without
 * `x-kubernetes-preserve-unknown-fields` on spec, so a field the real CRD lacks would be pruned
 * by the API server and show up as drift the operator keeps reverting.
 */
import type { KubeClient } from '../../../operator/kube/client.ts';
import type { KubeObject } from '../../../operator/kube/types.ts';
import { applyAsTest } from './cluster.ts';
import { waitFor } from './wait.ts';

export const CERTIFICATE_CRD_NAME = 'certificates.cert-manager.io';

const str = { type: 'string' };
const strings = { type: 'array', items: str };

export function certificateCrd(): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: CERTIFICATE_CRD_NAME },
    spec: {
      group: 'cert-manager.io',
      scope: 'Namespaced',
      names: {
        kind: 'Certificate',
        listKind: 'CertificateList',
        plural: 'certificates',
        singular: 'certificate',
        shortNames: ['cert', 'certs'],
        categories: ['cert-manager'],
      },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              required: ['spec'],
              properties: {
                apiVersion: str,
                kind: str,
                metadata: { type: 'object' },
                spec: {
                  type: 'object',
                  required: ['issuerRef', 'secretName'],
                  properties: {
                    secretName: str,
                    commonName: str,
                    dnsNames: strings,
                    ipAddresses: strings,
                    uris: strings,
                    duration: str,
                    renewBefore: str,
                    issuerRef: {
                      type: 'object',
                      required: ['name'],
                      properties: { name: str, kind: str, group: str },
                    },
                    privateKey: {
                      type: 'object',
                      properties: {
                        algorithm: { type: 'string', enum: ['RSA', 'ECDSA', 'Ed25519'] },
                        encoding: { type: 'string', enum: ['PKCS1', 'PKCS8'] },
                        rotationPolicy: { type: 'string', enum: ['Never', 'Always'] },
                        size: { type: 'integer' },
                      },
                    },
                    usages: {
                      type: 'array',
                      items: {
                        type: 'string',
                        enum: [
                          'signing',
                          'digital signature',
                          'content commitment',
                          'key encipherment',
                          'key agreement',
                          'data encipherment',
                          'cert sign',
                          'crl sign',
                          'encipher only',
                          'decipher only',
                          'any',
                          'server auth',
                          'client auth',
                          'code signing',
                          'email protection',
                          's/mime',
                          'ipsec end system',
                          'ipsec tunnel',
                          'ipsec user',
                          'timestamping',
                          'ocsp signing',
                          'microsoft sgc',
                          'netscape sgc',
                        ],
                      },
                    },
                  },
                },
                status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          },
        },
      ],
    },
  };
}

const crdRef = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  name: CERTIFICATE_CRD_NAME,
};

export async function installCertificateCrd(client: KubeClient): Promise<void> {
  await applyAsTest(client, certificateCrd());
  await waitFor(`CRD ${CERTIFICATE_CRD_NAME} to be established`, 30_000, async () => {
    const live = await client.get<
      KubeObject & { status?: { conditions?: { type: string; status: string }[] } }
    >(crdRef);
    return live?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
  });
}

/** Deletes the CRD (and with it every Certificate) and waits until discovery no longer serves it. */
export async function removeCertificateCrd(client: KubeClient): Promise<void> {
  if (!(await client.get(crdRef))) return;
  await client.delete(crdRef);
  await waitFor(`CRD ${CERTIFICATE_CRD_NAME} to be gone`, 60_000, async () => {
    const gone = !(await client.get(crdRef));
    return (
      gone && !(await client.isServed({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate' }))
    );
  });
}
