/**
 * spec.tls changed back and forth on a real API server, one FractalLBA through every step: on,
 * off, on again; a Secret of one's own, then cert-manager's Certificate, then the Secret again; a
 * client CA whose Secret lacks the key named in the spec (waited for, naming the key, until the
 * key is added); the Ingress with mTLS on and off; TLS off. Each step converges (ports, probes,
 * volumes, Service, NetworkPolicy, the Certificate and the Ingress follow, what is no longer
 * rendered is pruned) and, once settled, the operator writes nothing more.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FIELD_MANAGER, LABELS } from '../../operator/api/constants.ts';
import type { KubeClient } from '../../operator/kube/client.ts';
import type { KubeObject } from '../../operator/kube/types.ts';
import { installCertificateCrd, removeCertificateCrd } from './helpers/cert-manager.ts';
import { applyAsTest, createNamespace, installCrds, testClient } from './helpers/cluster.ts';
import { fractalLBA, walVolumeFor } from './helpers/fixtures.ts';
import { condition, getFractalLBA, waitForCondition } from './helpers/flk.ts';
import { OperatorProcess } from './helpers/operator-process.ts';
import { elapse } from './helpers/wait.ts';

type Any = KubeObject & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const NAME = 'toggled';
const KINDS = [
  ['v1', 'ServiceAccount'],
  ['v1', 'ConfigMap'],
  ['v1', 'PersistentVolumeClaim'],
  ['v1', 'Service'],
  ['apps/v1', 'Deployment'],
  ['policy/v1', 'PodDisruptionBudget'],
  ['networking.k8s.io/v1', 'NetworkPolicy'],
  ['batch/v1', 'CronJob'],
  ['networking.k8s.io/v1', 'Ingress'],
  ['cert-manager.io/v1', 'Certificate'],
] as const;

let client: KubeClient;
let ns: Awaited<ReturnType<typeof createNamespace>>;
let operator: OperatorProcess;
const cleanups: Array<() => Promise<void>> = [];

const secret = (name: string, data: Record<string, string>): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns.name },
    data: Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
  }) as KubeObject;

beforeAll(async () => {
  client = testClient();
  await installCrds(client);
  await installCertificateCrd(client);
  ns = await createNamespace(client, 'flk-e2e-tls-toggle');
  cleanups.push(await walVolumeFor(client, ns.name, NAME));
  await applyAsTest(client, secret('serving', { 'tls.crt': 'crt', 'tls.key': 'key' }));
  // The operator starts with the CRD present: Certificates are watched from the start.
  operator = await OperatorProcess.start({ name: 'tls-toggle', namespaces: [ns.name] });
  await operator.waitReady();
});

afterAll(async () => {
  await operator?.stop();
  for (const cleanup of cleanups) await cleanup().catch(() => {});
  await ns?.remove();
  // The suite's other files expect a cluster without cert-manager.
  await removeCertificateCrd(client).catch(() => {});
});

/** Children of the FractalLBA by `Kind/name`, read from the API server. */
async function children(): Promise<Map<string, Any>> {
  const out = new Map<string, Any>();
  for (const [apiVersion, kind] of KINDS) {
    const list = await client.list<Any>(
      { apiVersion, kind },
      { namespace: ns.name, labelSelector: `${LABELS.instance}=${NAME}` },
    );
    for (const item of list.items) out.set(`${kind}/${item.metadata.name}`, item);
  }
  return out;
}

/** resourceVersion of the FractalLBA and of every child: any write by anyone changes one. */
async function versions(): Promise<Record<string, string | undefined>> {
  const flk = await getFractalLBA(client, ns.name, NAME);
  const all = [...(await children()).entries()].map(([k, v]) => [k, v.metadata.resourceVersion]);
  return Object.fromEntries([['FractalLBA', flk?.metadata.resourceVersion], ...all]);
}

/**
 * The compaction CronJob runs once a year here: kube-controller-manager writes a CronJob's status
 * each time it fires (hourly by default), which would move its resourceVersion mid-check.
 */
const YEARLY = '0 0 1 1 *';

const toggled = (spec: Record<string, unknown>) =>
  fractalLBA(ns.name, NAME, {
    signing: { mode: 'none' },
    wal: { compactionSchedule: YEARLY },
    ...spec,
  });

/** Applies the spec, waits until it is Ready for this generation, and until nothing moves. */
async function step(spec: Record<string, unknown>): Promise<Map<string, Any>> {
  await applyAsTest(client, toggled(spec));
  await waitForCondition(client, ns.name, NAME, { type: 'Ready', status: 'True' }, 90_000);
  await settled();
  return children();
}

/** Settled: over a few seconds, including a reconcile, no write to the FractalLBA or a child. */
async function settled(): Promise<void> {
  await elapse(2_000);
  const applied = () => operator.logs.filter((l) => l.msg === 'applied child').length;
  const before = await versions();
  const appliedBefore = applied();
  // A Secret change reconciles the FractalLBA without changing it: the reconcile must be a no-op.
  await applyAsTest(
    client,
    secret('serving', { 'tls.crt': 'crt', 'tls.key': 'key', poke: `${Date.now()}` }),
  );
  await elapse(6_000);
  expect(await versions()).toEqual(before);
  expect(applied()).toBe(appliedBefore);
}

const container = (c: Map<string, Any>) =>
  c.get(`Deployment/${NAME}`)!.spec.template.spec.containers[0];
const volumes = (c: Map<string, Any>) =>
  c.get(`Deployment/${NAME}`)!.spec.template.spec.volumes as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
const secretVolume = (c: Map<string, Any>, name: string) =>
  volumes(c).find((v) => v.name === name)?.secret?.secretName as string | undefined;

function expectHttps(c: Map<string, Any>) {
  expect(container(c).ports).toEqual([
    { name: 'https', containerPort: 8443, protocol: 'TCP' },
    { name: 'admin', containerPort: 9090, protocol: 'TCP' },
  ]);
  for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'])
    expect(container(c)[probe].httpGet).toMatchObject({ port: 'admin', scheme: 'HTTP' });
  expect(c.get(`Service/${NAME}`)!.spec.ports[0]).toMatchObject({
    name: 'https',
    port: 443,
    targetPort: 8443,
  });
  expect(c.get(`NetworkPolicy/${NAME}`)!.spec.ingress[0].ports).toEqual([
    { port: 8443, protocol: 'TCP' },
  ]);
  expect(c.get(`ConfigMap/${NAME}-config`)!.data).toMatchObject({
    PORT: '8443',
    TLS_CERT_FILE: '/etc/flk/tls/tls.crt',
  });
}

function expectHttp(c: Map<string, Any>) {
  expect(container(c).ports).toEqual([
    { name: 'http', containerPort: 8080, protocol: 'TCP' },
    { name: 'admin', containerPort: 9090, protocol: 'TCP' },
  ]);
  for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'])
    expect(container(c)[probe].httpGet).toMatchObject({ port: 'admin', scheme: 'HTTP' });
  expect(c.get(`Service/${NAME}`)!.spec.ports[0]).toMatchObject({ name: 'http', port: 80 });
  expect(c.get(`NetworkPolicy/${NAME}`)!.spec.ingress[0].ports).toEqual([
    { port: 8080, protocol: 'TCP' },
  ]);
  const data = c.get(`ConfigMap/${NAME}-config`)!.data;
  expect(data.PORT).toBe('8080');
  expect(Object.keys(data).filter((k) => k.startsWith('TLS_'))).toEqual([]);
  expect(secretVolume(c, 'tls')).toBeUndefined();
  expect(secretVolume(c, 'client-ca')).toBeUndefined();
}

describe('spec.tls changed step by step', () => {
  const serving = { tls: { secretName: 'serving' } };
  const withCA = {
    tls: { secretName: 'serving', clientCA: { secretName: 'agents-ca', key: 'bundle.pem' } },
  };

  it('serves HTTPS from a Secret of its own', async () => {
    const c = await step(serving);
    expectHttps(c);
    expect(secretVolume(c, 'tls')).toBe('serving');
  });

  it('goes back to plain HTTP with TLS off, and to HTTPS with it on again', async () => {
    expectHttp(await step({}));
    const c = await step(serving);
    expectHttps(c);
    expect(secretVolume(c, 'tls')).toBe('serving');
  });

  it('switches to a cert-manager Certificate and back, pruning the Certificate', async () => {
    let c = await step({ tls: { certificate: { issuerRef: { name: 'ca' } } } });
    expectHttps(c);
    expect(c.get(`Certificate/${NAME}-tls`)?.metadata.managedFields).toEqual(
      expect.arrayContaining([expect.objectContaining({ manager: FIELD_MANAGER })]),
    );
    expect(secretVolume(c, 'tls')).toBe(`${NAME}-tls`);

    c = await step(serving);
    expect(c.has(`Certificate/${NAME}-tls`)).toBe(false);
    expect(secretVolume(c, 'tls')).toBe('serving');
  });

  it('waits for a client-CA Secret that lacks the key the spec names, and converges once it is added', async () => {
    await applyAsTest(client, secret('agents-ca', { 'ca.crt': 'ca' }));
    await applyAsTest(client, toggled(withCA));

    const flk = await waitForCondition(client, ns.name, NAME, {
      type: 'Progressing',
      status: 'True',
      reason: 'WaitingForSecrets',
    });
    expect(condition(flk, 'Progressing')?.message).toBe(
      `waiting for Secret ${ns.name}/agents-ca (spec.tls.clientCA.secretName) to have data key ` +
        'bundle.pem (spec.tls.clientCA.key); it has ca.crt',
    );
    // The pods are left as they were, not rolled into a backend that cannot start.
    expect(secretVolume(await children(), 'client-ca')).toBeUndefined();

    await applyAsTest(client, secret('agents-ca', { 'bundle.pem': 'ca' }));
    await waitForCondition(client, ns.name, NAME, { type: 'Ready', status: 'True' }, 90_000);
    await settled();
    const c = await children();
    expect(secretVolume(c, 'client-ca')).toBe('agents-ca');
    expect(c.get(`ConfigMap/${NAME}-config`)!.data.TLS_CLIENT_CA_FILE).toBe(
      '/etc/flk/client-ca/bundle.pem',
    );
  });

  it('puts an Ingress with mTLS in front, and takes it away again', async () => {
    let c = await step({
      ...withCA,
      ingress: {
        enabled: true,
        host: 'flk.example.com',
        backendClientCertSecretName: 'edge-client',
      },
    });
    const ingress = c.get(`Ingress/${NAME}`)!;
    expect(ingress.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/backend-protocol': 'HTTPS',
      'nginx.ingress.kubernetes.io/auth-tls-secret': `${ns.name}/agents-ca`,
      'nginx.ingress.kubernetes.io/auth-tls-verify-client': 'on',
      'nginx.ingress.kubernetes.io/proxy-ssl-secret': `${ns.name}/edge-client`,
    });
    expect(ingress.spec.rules[0].http.paths[0].backend.service.port).toEqual({ name: 'https' });

    c = await step(withCA);
    expect(c.has(`Ingress/${NAME}`)).toBe(false);
  });

  it('ends with TLS off', async () => {
    expectHttp(await step({}));
  });
});
