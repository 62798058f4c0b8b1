/**
 * spec.tls with mTLS on a real API server: the operator renders the children, and a backend
 * process started from them (the rendered ConfigMap, every Secret volume projected the way kubelet
 * projects it) accepts a signed record over HTTPS from a client with a certificate of the client
 * CA, refuses one without a certificate or with one of another CA at the TLS handshake, with
 * nothing of the refused ones in its WAL, and serves a rotated certificate without a restart and
 * without the pods rolling. Health and metrics answer on the plain admin port meanwhile.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ANNOTATIONS } from '../../operator/api/constants.ts';
import type { KubeClient } from '../../operator/kube/client.ts';
import type { KubeObject } from '../../operator/kube/types.ts';
import { spawnBackend, walBodies, type BackendProcess } from '../harness/backend.ts';
import { httpsRequest, submitTls, type ClientTls } from '../harness/https-client.ts';
import { createPki, type Issued, type TestPki } from '../harness/pki.ts';
import { applyAsTest, createNamespace, installCrds, testClient } from './helpers/cluster.ts';
import { fractalLBA, walVolumeFor } from './helpers/fixtures.ts';
import { getChild, waitForCondition } from './helpers/flk.ts';
import { OperatorProcess } from './helpers/operator-process.ts';
import { projectBackendPod, type HostPod } from './helpers/pod-on-host.ts';
import { readSigner, signedRecord, signingKey, waitForSigningKey } from './helpers/signingkey.ts';
import { waitFor } from './helpers/wait.ts';

type Any = KubeObject & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const NAME = 'secure';
const SK = 'agents';

let client: KubeClient;
let ns: Awaited<ReturnType<typeof createNamespace>>;
let operator: OperatorProcess;
let pki: TestPki;
let agent: Issued;
let root: string;
let pod: HostPod;
let backend: BackendProcess;
const cleanups: Array<() => Promise<void>> = [];

const tlsSecret = (name: string, served: Issued): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns.name },
    type: 'kubernetes.io/tls',
    data: {
      'tls.crt': Buffer.from(served.cert).toString('base64'),
      'tls.key': Buffer.from(served.key).toString('base64'),
    },
  }) as KubeObject;

const trusted = (): ClientTls => ({ ca: pki.ca.cert, cert: agent.cert, key: agent.key });

/** Reconciles of the FractalLBA controller so far, from the operator's metrics. */
async function fractalLBAReconciles(): Promise<number> {
  const text = await (await fetch(`${operator.healthURL}/metrics`)).text();
  return text
    .split('\n')
    .filter(
      (l) => l.startsWith('flk_operator_reconcile_total{') && l.includes('controller="fractallba"'),
    )
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

const walBodiesOfPod = () => walBodies(pod.env.WAL_DIR!);

beforeAll(async () => {
  client = testClient();
  await installCrds(client);
  ns = await createNamespace(client, 'flk-e2e-tls');
  pki = createPki({ dnsNames: [NAME, `${NAME}.${ns.name}.svc`] });
  agent = pki.issueClient({ CN: 'agent-1', O: 'acme' });
  root = mkdtempSync(path.join(os.tmpdir(), 'flk-e2e-tls-'));

  operator = await OperatorProcess.start({ name: 'tls', namespaces: [ns.name] });
  await operator.waitReady();

  await applyAsTest(client, tlsSecret('serving', pki.server));
  await applyAsTest(client, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'agents-ca', namespace: ns.name },
    data: { 'ca.crt': Buffer.from(pki.ca.cert).toString('base64') },
  } as KubeObject);
  await applyAsTest(client, signingKey(ns.name, SK, { algorithm: 'ed25519' }));
  await waitForSigningKey(client, ns.name, SK, 'Ready', (sk) =>
    sk?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
  cleanups.push(await walVolumeFor(client, ns.name, NAME));
  await applyAsTest(
    client,
    fractalLBA(ns.name, NAME, {
      signing: { keyRefs: [{ name: SK }] },
      tls: { secretName: 'serving', clientCA: { secretName: 'agents-ca' } },
    }),
  );
  await waitForCondition(client, ns.name, NAME, { type: 'Ready', status: 'True' }, 120_000);
});

afterAll(async () => {
  await backend?.stop();
  await pod?.stop();
  await operator?.stop();
  for (const cleanup of cleanups) await cleanup().catch(() => {});
  await ns?.remove();
  pki?.cleanup();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('a FractalLBA with spec.tls and a client CA', () => {
  it('renders HTTPS with the TLS Secrets mounted, and probes, metrics and the Service on the admin port', async () => {
    const cm = await getChild<Any>(client, ns.name, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: `${NAME}-config`,
    });
    expect(cm?.data).toMatchObject({
      PORT: '8443',
      ADMIN_PORT: '9090',
      TLS_CERT_FILE: '/etc/flk/tls/tls.crt',
      TLS_KEY_FILE: '/etc/flk/tls/tls.key',
      TLS_CLIENT_CA_FILE: '/etc/flk/client-ca/ca.crt',
    });

    const deployment = await getChild<Any>(client, ns.name, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: NAME,
    });
    const spec = deployment!.spec.template.spec;
    const c = spec.containers[0];
    expect(c.ports).toEqual([
      { name: 'https', containerPort: 8443, protocol: 'TCP' },
      { name: 'admin', containerPort: 9090, protocol: 'TCP' },
    ]);
    for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe])
      expect(probe.httpGet).toMatchObject({ port: 'admin', scheme: 'HTTP' });
    expect(spec.volumes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'tls',
          secret: expect.objectContaining({ secretName: 'serving' }),
        }),
        expect.objectContaining({
          name: 'client-ca',
          secret: expect.objectContaining({ secretName: 'agents-ca' }),
        }),
      ]),
    );

    const svc = await getChild<Any>(client, ns.name, {
      apiVersion: 'v1',
      kind: 'Service',
      name: NAME,
    });
    expect(svc!.spec.ports).toEqual([
      expect.objectContaining({ name: 'https', port: 443, targetPort: 8443, appProtocol: 'https' }),
      expect.objectContaining({ name: 'admin', port: 9090, targetPort: 9090, appProtocol: 'http' }),
    ]);
    const np = await getChild<Any>(client, ns.name, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      name: NAME,
    });
    expect(np!.spec.ingress[0].ports).toEqual([{ port: 8443, protocol: 'TCP' }]);
  });

  it('runs a backend from those children that serves HTTPS, with health on the plain admin port', async () => {
    pod = await projectBackendPod(client, ns.name, NAME, root);
    const keysDir = pod.local(`/etc/flk/keys/${SK}`);
    await pod.projections
      .get(`${SK}-verifier`)!
      .waitFor('to hold a key', (keys) => keys.some((k) => k.endsWith('.json')));
    backend = await spawnBackend(
      {
        ...pod.env,
        WAL_DIR: path.join(root, 'wal'),
        DEDUP_SNAPSHOT: path.join(root, 'wal/dedup-snapshot.json'),
        POD_NAME: 'secure-0',
        PCS_KEYS_POLL: '1s',
        TLS_POLL: '1s',
        // Accepted requests are logged at debug.
        LOG_LEVEL: 'debug',
      },
      { admin: true, stdout: true },
    );
    pod.env.WAL_DIR = path.join(root, 'wal');
    expect(backend.url).toMatch(/^https:/);
    expect(pod.env.PCS_KEYS_DIR).toBe(keysDir);

    const ready = await fetch(`${backend.adminUrl}/ready`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${backend.adminUrl}/metrics`)).text();
    expect(metrics).toContain('flk_tls_cert_not_after_seconds');
  });

  it('accepts a signed record from a client with a certificate of the client CA', async () => {
    const { active } = await readSigner(client, ns.name, SK);
    const answer = await submitTls(backend.url, trusted(), signedRecord(active!, 'tls'));

    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ accepted: true, dedup_hit: false });
    expect(answer.peerFingerprint256).toBe(pki.server.fingerprint256);
    expect(await walBodiesOfPod()).toHaveLength(1);

    // The client's identity is in the request log, its certificate is not.
    await waitFor('the request log line', 10_000, () => backend.stdout().includes('agent-1'));
    const line = backend
      .stdout()
      .split('\n')
      .find((l) => l.includes('request completed') && l.includes('agent-1'));
    expect(JSON.parse(line!).client).toBe('CN=agent-1,O=acme');
    expect(backend.stdout()).not.toContain('BEGIN CERTIFICATE');
  });

  it('refuses at the handshake a client without a certificate, or with one of another CA, and records nothing of them', async () => {
    const { active } = await readSigner(client, ns.name, SK);
    const rogue = pki.issueClient({ CN: 'rogue' }, pki.otherCa);

    await expect(
      submitTls(backend.url, { ca: pki.ca.cert }, signedRecord(active!, 'none')),
    ).rejects.toThrow();
    await expect(
      submitTls(
        backend.url,
        { ca: pki.ca.cert, cert: rogue.cert, key: rogue.key },
        signedRecord(active!, 'rogue'),
      ),
    ).rejects.toThrow();

    expect(await walBodiesOfPod()).toHaveLength(1);
    expect((await fetch(`${backend.adminUrl}/health`)).status).toBe(200);
  });

  it('serves a rotated certificate from the Secret without a restart, and the pods do not roll', async () => {
    const deploymentBefore = await getChild<Any>(client, ns.name, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: NAME,
    });
    const pid = backend.child.pid;
    const reconcilesBefore = await fractalLBAReconciles();

    await applyAsTest(client, tlsSecret('serving', pki.rotatedServer));

    await waitFor(
      'the backend to serve the rotated certificate',
      60_000,
      async () =>
        (await httpsRequest(backend.url, trusted(), { path: '/health' })).peerFingerprint256 ===
        pki.rotatedServer.fingerprint256,
      500,
    );
    const { active } = await readSigner(client, ns.name, SK);
    const answer = await submitTls(backend.url, trusted(), signedRecord(active!, 'rotated'));
    expect(answer.status).toBe(200);
    expect(backend.child.pid).toBe(pid);
    expect(backend.child.exitCode).toBeNull();

    // The operator reconciles the FractalLBA on the Secret's change; once it has, the pods must be
    // as they were.
    await waitFor(
      'the operator to reconcile after the Secret change',
      60_000,
      async () => (await fractalLBAReconciles()) > reconcilesBefore,
      500,
    );
    const deploymentAfter = await getChild<Any>(client, ns.name, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: NAME,
    });
    expect(deploymentAfter!.spec.template.metadata.annotations[ANNOTATIONS.checksum]).toBe(
      deploymentBefore!.spec.template.metadata.annotations[ANNOTATIONS.checksum],
    );
    expect(deploymentAfter!.metadata.generation).toBe(deploymentBefore!.metadata.generation);
  });
});
