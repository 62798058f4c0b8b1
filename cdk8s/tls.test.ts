import { describe, expect, it } from 'vitest';
import type { FractalLBASpec } from '../operator/api/fractallba.ts';
import { resolveFractalLBA } from '../operator/api/fractallba.ts';
import { renderFractalLBA } from './render.ts';
import { serviceURL } from './service.ts';
import { MINIMAL_SPEC, byKind, renderInput } from './testing.ts';

const render = (spec: FractalLBASpec) => renderFractalLBA(renderInput(spec));

const MTLS: FractalLBASpec = {
  ...MINIMAL_SPEC,
  tls: { secretName: 'serving', clientCA: { secretName: 'agents-ca' } },
};
const ISSUED: FractalLBASpec = {
  ...MINIMAL_SPEC,
  tls: { certificate: { issuerRef: { name: 'internal-ca' }, duration: '90d', renewBefore: '15d' } },
};

describe('spec.tls', () => {
  it('serves HTTPS on 8443 with the Secret files, and requires client certificates from the CA', () => {
    const manifests = render(MTLS);
    expect(byKind(manifests, 'ConfigMap').data).toMatchObject({
      PORT: '8443',
      ADMIN_PORT: '9090',
      TLS_CERT_FILE: '/etc/flk/tls/tls.crt',
      TLS_KEY_FILE: '/etc/flk/tls/tls.key',
      TLS_CLIENT_CA_FILE: '/etc/flk/client-ca/ca.crt',
    });

    const pod = byKind(manifests, 'Deployment').spec.template.spec;
    const c = pod.containers[0];
    expect(c.ports).toEqual([
      { name: 'https', containerPort: 8443, protocol: 'TCP' },
      { name: 'admin', containerPort: 9090, protocol: 'TCP' },
    ]);
    // kubelet has no client certificate: every probe goes to the plain admin listener.
    for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe])
      expect(probe.httpGet.port).toBe('admin');
    expect(c.volumeMounts).toEqual(
      expect.arrayContaining([
        { name: 'tls', mountPath: '/etc/flk/tls', readOnly: true },
        { name: 'client-ca', mountPath: '/etc/flk/client-ca', readOnly: true },
      ]),
    );
    expect(pod.volumes).toEqual(
      expect.arrayContaining([
        { name: 'tls', secret: { secretName: 'serving', defaultMode: 0o440 } },
        { name: 'client-ca', secret: { secretName: 'agents-ca', defaultMode: 0o440 } },
      ]),
    );
    expect(JSON.stringify(pod)).not.toContain('subPath');
  });

  it('exposes 443 → 8443 (https) and the admin port on the Service, and an https URL', () => {
    const svc = byKind(render(MTLS), 'Service');
    expect(svc.spec.ports).toEqual([
      { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP', appProtocol: 'https' },
      { name: 'admin', port: 9090, targetPort: 9090, protocol: 'TCP', appProtocol: 'http' },
    ]);
    expect(serviceURL(renderInput(MTLS))).toBe('https://demo.ingest.svc:443');
  });

  it('lets ingest peers reach 8443 only, and metrics peers the admin port only', () => {
    const np = byKind(
      render({
        ...MTLS,
        networkPolicy: {
          metricsFrom: [{ namespaceSelector: { matchLabels: { name: 'monitoring' } } }],
        },
      }),
      'NetworkPolicy',
    );
    expect(np.spec.ingress).toEqual([
      { from: [{ podSelector: {} }], ports: [{ port: 8443, protocol: 'TCP' }] },
      {
        from: [{ namespaceSelector: { matchLabels: { name: 'monitoring' } } }],
        ports: [{ port: 9090, protocol: 'TCP' }],
      },
    ]);
  });

  it('renders a cert-manager Certificate for the Service names, into the Secret the pod mounts', () => {
    const manifests = render(ISSUED);
    const cert = byKind(manifests, 'Certificate');
    expect(cert.apiVersion).toBe('cert-manager.io/v1');
    expect(cert.metadata.name).toBe('demo-tls');
    expect(cert.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'FractalLBA', uid: 'uid-1' });
    expect(cert.spec).toEqual({
      secretName: 'demo-tls',
      issuerRef: { name: 'internal-ca', kind: 'Issuer', group: 'cert-manager.io' },
      dnsNames: ['demo', 'demo.ingest', 'demo.ingest.svc', 'demo.ingest.svc.cluster.local'],
      duration: '2160h',
      renewBefore: '360h',
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      usages: ['server auth', 'digital signature'],
    });
    const pod = byKind(manifests, 'Deployment').spec.template.spec;
    expect(pod.volumes).toEqual(
      expect.arrayContaining([
        { name: 'tls', secret: { secretName: 'demo-tls', defaultMode: 0o440 } },
      ]),
    );
    // Applied before the Deployment that mounts its Secret.
    const kinds = manifests.map((m) => m.kind);
    expect(kinds.indexOf('Certificate')).toBeLessThan(kinds.indexOf('Deployment'));
  });

  it('takes given DNS names and a ClusterIssuer', () => {
    const cert = byKind(
      render({
        ...MINIMAL_SPEC,
        tls: {
          certificate: {
            issuerRef: { name: 'corp', kind: 'ClusterIssuer' },
            dnsNames: ['ingest.internal.example.com'],
          },
        },
      }),
      'Certificate',
    );
    expect(cert.spec.issuerRef).toEqual({
      name: 'corp',
      kind: 'ClusterIssuer',
      group: 'cert-manager.io',
    });
    expect(cert.spec.dnsNames).toEqual(['ingest.internal.example.com']);
  });

  it('renders no Certificate, no TLS variables and no TLS volumes without spec.tls', () => {
    const manifests = render(MINIMAL_SPEC);
    expect(manifests.map((m) => m.kind)).not.toContain('Certificate');
    expect(Object.keys(byKind(manifests, 'ConfigMap').data)).not.toContain('TLS_CERT_FILE');
    expect(JSON.stringify(byKind(manifests, 'Deployment'))).not.toContain('/etc/flk/tls');
  });

  it('points the Ingress at the https port with HTTPS upstream, edge mTLS and a client certificate', () => {
    const ing = byKind(
      render({
        ...MTLS,
        ingress: {
          enabled: true,
          host: 'flk.example.com',
          issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer' },
          backendClientCertSecretName: 'ingress-client',
          annotations: { 'nginx.ingress.kubernetes.io/proxy-ssl-server-name': 'off' },
        },
      }),
      'Ingress',
    );
    expect(ing.metadata.annotations).toEqual({
      'cert-manager.io/cluster-issuer': 'letsencrypt',
      'nginx.ingress.kubernetes.io/backend-protocol': 'HTTPS',
      'nginx.ingress.kubernetes.io/auth-tls-secret': 'ingest/agents-ca',
      'nginx.ingress.kubernetes.io/auth-tls-verify-client': 'on',
      'nginx.ingress.kubernetes.io/proxy-ssl-secret': 'ingest/ingress-client',
      'nginx.ingress.kubernetes.io/proxy-ssl-name': 'demo.ingest.svc',
      // The user's annotations win.
      'nginx.ingress.kubernetes.io/proxy-ssl-server-name': 'off',
    });
    expect(ing.spec.rules[0].http.paths[0].backend.service.port).toEqual({ name: 'https' });
    expect(ing.spec.tls).toEqual([{ hosts: ['flk.example.com'], secretName: 'demo-ingress-tls' }]);
  });

  it('names an external issuer by kind and group on the Ingress', () => {
    const ing = byKind(
      render({
        ...MINIMAL_SPEC,
        ingress: {
          enabled: true,
          host: 'flk.example.com',
          tlsSecretName: 'edge',
          issuerRef: { name: 'pca', kind: 'AWSPCAClusterIssuer', group: 'awspca.cert-manager.io' },
        },
      }),
      'Ingress',
    );
    expect(ing.metadata.annotations).toEqual({
      'cert-manager.io/issuer': 'pca',
      'cert-manager.io/issuer-kind': 'AWSPCAClusterIssuer',
      'cert-manager.io/issuer-group': 'awspca.cert-manager.io',
    });
    expect(ing.spec.tls).toEqual([{ hosts: ['flk.example.com'], secretName: 'edge' }]);
  });
});

describe('spec.tls validation', () => {
  const errors = (spec: FractalLBASpec) => {
    const r = resolveFractalLBA({ spec });
    return r.ok ? [] : r.errors;
  };

  it('needs exactly one certificate source', () => {
    expect(errors({ ...MINIMAL_SPEC, tls: {} }).join()).toContain('exactly one source');
    expect(
      errors({
        ...MINIMAL_SPEC,
        tls: { secretName: 's', certificate: { issuerRef: { name: 'ca' } } },
      }).join(),
    ).toContain('exactly one source');
  });

  it('needs a client certificate for the Ingress controller when the backend demands mTLS', () => {
    expect(
      errors({ ...MTLS, ingress: { enabled: true, host: 'flk.example.com' } }).join(),
    ).toContain('spec.ingress.backendClientCertSecretName');
  });

  it('needs a host for an edge issuer', () => {
    expect(
      errors({ ...MINIMAL_SPEC, ingress: { enabled: true, issuerRef: { name: 'x' } } }).join(),
    ).toContain('spec.ingress.issuerRef needs spec.ingress.host');
  });
});
