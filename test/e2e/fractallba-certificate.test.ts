/**
 * spec.tls.certificate on a real API server, with cert-manager's Certificate CRD installed but no
 * cert-manager controller: without the CRD the FractalLBA is Degraded (CRDNotInstalled) and the
 * operator keeps running; once the CRD is installed the operator notices by itself and creates a
 * Certificate with the issuer, DNS names and Secret name the backend mounts, and keeps it
 * converged like any other child. The CRD deleted while the operator watches Certificates makes
 * the FractalLBA Degraded again (the other children still follow the spec) and installing it
 * again brings the Certificate back, with the cache started at run time and after a restart. A
 * Certificate of someone else's under the child's name is left alone, with a message saying so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { KubeClient } from '../../operator/kube/client.ts';
import type { KubeObject } from '../../operator/kube/types.ts';
import { installCertificateCrd, removeCertificateCrd } from './helpers/cert-manager.ts';
import { applyAsTest, createNamespace, installCrds, testClient } from './helpers/cluster.ts';
import { fractalLBA, walVolumeFor } from './helpers/fixtures.ts';
import { ANNOTATIONS } from '../../operator/api/constants.ts';
import { condition, getChild, getFractalLBA, waitForCondition } from './helpers/flk.ts';
import { OperatorProcess } from './helpers/operator-process.ts';
import { elapse, waitFor } from './helpers/wait.ts';

type Any = KubeObject & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const NAME = 'issued';
const CERTIFICATE = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', name: `${NAME}-tls` };
const OTHER = 'shared';

let client: KubeClient;
let ns: Awaited<ReturnType<typeof createNamespace>>;
let operator: OperatorProcess;
const cleanups: Array<() => Promise<void>> = [];

/** Installs the CRD again; the operator must create the Certificate and clear Degraded by itself. */
async function reinstallAndExpectCertificate(): Promise<void> {
  await installCertificateCrd(client);
  await waitFor(
    `Certificate ${CERTIFICATE.name} to be created again`,
    90_000,
    () => getChild(client, ns.name, CERTIFICATE),
    1_000,
  );
  await waitForCondition(client, ns.name, NAME, { type: 'Degraded', status: 'False' });
}

beforeAll(async () => {
  client = testClient();
  await installCrds(client);
  // A previous run may have left it; this test starts from a cluster without cert-manager.
  await removeCertificateCrd(client);
  ns = await createNamespace(client, 'flk-e2e-cert');
  cleanups.push(await walVolumeFor(client, ns.name, NAME));
  cleanups.push(await walVolumeFor(client, ns.name, OTHER));
  operator = await OperatorProcess.start({ name: 'certificate', namespaces: [ns.name] });
  await operator.waitReady();
});

afterAll(async () => {
  await operator?.stop();
  for (const cleanup of cleanups) await cleanup().catch(() => {});
  await ns?.remove();
  await removeCertificateCrd(client).catch(() => {});
});

describe('a FractalLBA whose serving certificate cert-manager issues', () => {
  const spec = {
    signing: { mode: 'none' },
    tls: {
      certificate: {
        issuerRef: { name: 'internal-ca', kind: 'ClusterIssuer' },
        duration: '90d',
        renewBefore: '15d',
      },
    },
  };

  it('is Degraded with a message naming cert-manager while its CRD is absent, and the operator stays up', async () => {
    await applyAsTest(client, fractalLBA(ns.name, NAME, spec));

    const flk = await waitForCondition(client, ns.name, NAME, {
      type: 'Degraded',
      status: 'True',
      reason: 'CRDNotInstalled',
    });
    expect(condition(flk, 'Degraded')?.message).toContain(
      `the cluster does not serve cert-manager.io/v1 Certificate (needed for Certificate ${NAME}-tls): install cert-manager`,
    );
    expect(condition(flk, 'Ready')).toMatchObject({ status: 'False' });
    // Everything that does not need cert-manager is in place already.
    const deployment = await getChild<Any>(client, ns.name, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: NAME,
    });
    expect(deployment?.spec.template.spec.volumes).toEqual(
      expect.arrayContaining([
        { name: 'tls', secret: { secretName: `${NAME}-tls`, defaultMode: 0o440 } },
      ]),
    );
    expect(operator.running).toBe(true);
    const res = await fetch(`${operator.healthURL}/readyz`);
    expect(res.status).toBe(200);
  });

  it('creates the Certificate once the CRD is installed, without a change to the FractalLBA', async () => {
    const before = await getFractalLBA(client, ns.name, NAME);
    await installCertificateCrd(client);

    const cert = await waitFor(
      `Certificate ${CERTIFICATE.name} to be created`,
      90_000,
      () => getChild<Any>(client, ns.name, CERTIFICATE),
      1_000,
    );
    expect(cert.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'FractalLBA',
        name: NAME,
        uid: before!.metadata.uid,
        controller: true,
      }),
    ]);
    expect(cert.spec).toEqual({
      secretName: `${NAME}-tls`,
      issuerRef: { name: 'internal-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' },
      dnsNames: [
        NAME,
        `${NAME}.${ns.name}`,
        `${NAME}.${ns.name}.svc`,
        `${NAME}.${ns.name}.svc.cluster.local`,
      ],
      duration: '2160h',
      renewBefore: '360h',
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      usages: ['server auth', 'digital signature'],
    });

    const flk = await waitForCondition(client, ns.name, NAME, {
      type: 'Degraded',
      status: 'False',
    });
    expect(flk.metadata.generation).toBe(before!.metadata.generation);
  });

  it('puts a hand-edited Certificate back', async () => {
    await client.mergePatch(
      { ...CERTIFICATE, namespace: ns.name },
      { spec: { issuerRef: { name: 'someone-else' }, dnsNames: ['evil.example.com'] } },
    );

    await waitFor(
      'the Certificate to be reverted',
      60_000,
      async () => {
        const cert = await getChild<Any>(client, ns.name, CERTIFICATE);
        return cert?.spec.issuerRef.name === 'internal-ca' && cert.spec.dnsNames[0] === NAME;
      },
      500,
    );
  });

  it('follows a change of the issuer and DNS names in the spec', async () => {
    await applyAsTest(
      client,
      fractalLBA(ns.name, NAME, {
        ...spec,
        tls: {
          certificate: {
            issuerRef: { name: 'team-ca' },
            dnsNames: ['ingest.internal.example.com'],
          },
        },
      }),
    );

    const cert = await waitFor(
      'the Certificate to follow the spec',
      60_000,
      async () => {
        const c = await getChild<Any>(client, ns.name, CERTIFICATE);
        return c?.spec.issuerRef.name === 'team-ca' && c;
      },
      500,
    );
    expect(cert.spec.issuerRef).toEqual({
      name: 'team-ca',
      kind: 'Issuer',
      group: 'cert-manager.io',
    });
    expect(cert.spec.dnsNames).toEqual(['ingest.internal.example.com']);
    expect(cert.spec).not.toHaveProperty('duration');
  });

  it('deletes the Certificate when the spec switches to a Secret of its own', async () => {
    await applyAsTest(client, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'own-serving', namespace: ns.name },
      type: 'kubernetes.io/tls',
      data: {
        'tls.crt': Buffer.from('x').toString('base64'),
        'tls.key': Buffer.from('y').toString('base64'),
      },
    } as KubeObject);
    await applyAsTest(
      client,
      fractalLBA(ns.name, NAME, { ...spec, tls: { secretName: 'own-serving' } }),
    );

    await waitFor(
      'the Certificate to be pruned',
      60_000,
      async () => !(await getChild(client, ns.name, CERTIFICATE)),
      500,
    );
  });
});

describe('the Certificate CRD deleted while the operator watches Certificates', () => {
  const spec = {
    signing: { mode: 'none' },
    tls: { certificate: { issuerRef: { name: 'internal-ca', kind: 'ClusterIssuer' } } },
  };
  const deploymentRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: NAME };
  const checksum = async () =>
    (await getChild<Any>(client, ns.name, deploymentRef))?.spec.template.metadata.annotations[
      ANNOTATIONS.checksum
    ] as string | undefined;
  const lostLine = (l: { msg: string }) =>
    l.msg.startsWith('the cluster no longer serves this optional child kind');

  it('is Degraded again, and the children after the Certificate still follow the spec', async () => {
    await applyAsTest(client, fractalLBA(ns.name, NAME, spec));
    await waitFor(
      'the Certificate to be back',
      60_000,
      () => getChild(client, ns.name, CERTIFICATE),
      500,
    );
    await waitForCondition(client, ns.name, NAME, { type: 'Degraded', status: 'False' });
    const checksumBefore = await checksum();

    await removeCertificateCrd(client);
    // A change while the CRD is gone: the ConfigMap and the Deployment (after the Certificate in
    // render order) must still get it.
    await applyAsTest(client, fractalLBA(ns.name, NAME, { ...spec, logLevel: 'debug' }));

    const flk = await waitForCondition(client, ns.name, NAME, {
      type: 'Degraded',
      status: 'True',
      reason: 'CRDNotInstalled',
    });
    expect(condition(flk, 'Degraded')?.message).toContain(
      `the cluster does not serve cert-manager.io/v1 Certificate (needed for Certificate ${NAME}-tls)`,
    );
    await waitFor(
      'the Deployment to roll to the new config',
      30_000,
      async () => (await checksum()) !== checksumBefore,
      500,
    );
    const cm = await getChild<Any>(client, ns.name, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: `${NAME}-config`,
    });
    expect(cm?.data.LOG_LEVEL).toBe('debug');

    // The cache of the gone kind is stopped, not left retrying: no more watch failures for it.
    await operator.waitForLog('the Certificate cache to be stopped', lostLine, 30_000);
    const failures = () =>
      operator.logs.filter(
        (l) =>
          l.msg === 'watch failed; reconnecting after backoff' &&
          String(l.informer).startsWith('cert-manager.io/v1 Certificate'),
      ).length;
    const failuresBefore = failures();
    await elapse(5_000);
    expect(failures()).toBe(failuresBefore);
    expect((await fetch(`${operator.healthURL}/readyz`)).status).toBe(200);
  });

  it('creates the Certificate again once the CRD is back', async () => {
    await reinstallAndExpectCertificate();
  });

  it('after a restart with the CRD installed, writes nothing to it, and notices the CRD going too', async () => {
    const before = await getChild(client, ns.name, CERTIFICATE);
    await operator.kill('SIGKILL');
    operator.restart();
    await operator.waitReady();
    await operator.waitForLog(
      'the restarted operator to reconcile',
      (l) => l.pid === operator.pid && l.msg === 'reconcile finished' && l.name === NAME,
    );
    await elapse(3_000);
    const after = await getChild(client, ns.name, CERTIFICATE);
    expect(after?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);

    await removeCertificateCrd(client);
    await waitForCondition(client, ns.name, NAME, {
      type: 'Degraded',
      status: 'True',
      reason: 'CRDNotInstalled',
    });
    expect(operator.logs.some((l) => l.pid === operator.pid && lostLine(l))).toBe(true);

    await reinstallAndExpectCertificate();
  });
});

describe('a Certificate of someone else with the name the operator would give its own', () => {
  const ref = { ...CERTIFICATE, name: `${OTHER}-tls` };
  const theirs = {
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    metadata: { name: ref.name, namespace: '' },
    spec: { secretName: 'their-secret', issuerRef: { name: 'their-ca' }, dnsNames: ['x.example'] },
  };

  it('is left as it is, and the FractalLBA says whose name is taken and what to do', async () => {
    await applyAsTest(client, { ...theirs, metadata: { ...theirs.metadata, namespace: ns.name } });
    await applyAsTest(
      client,
      fractalLBA(ns.name, OTHER, {
        signing: { mode: 'none' },
        tls: { certificate: { issuerRef: { name: 'internal-ca' } } },
      }),
    );

    const flk = await waitForCondition(client, ns.name, OTHER, {
      type: 'Degraded',
      status: 'True',
      reason: 'ApplyFailed',
    });
    expect(condition(flk, 'Degraded')?.message).toContain(
      `Certificate ${ns.name}/${OTHER}-tls already exists and it was not created by this FractalLBA, so the operator leaves it alone: delete or rename it`,
    );
    const cert = await getChild<Any>(client, ns.name, ref);
    expect(cert?.spec).toEqual(theirs.spec);
    expect(cert?.metadata.ownerReferences).toBeUndefined();
    // Everything else is in place.
    expect(
      await getChild(client, ns.name, { apiVersion: 'apps/v1', kind: 'Deployment', name: OTHER }),
    ).toBeDefined();
  });

  it('gets a Certificate of its own once that one is deleted', async () => {
    await client.delete({ ...ref, namespace: ns.name });

    const cert = await waitFor(
      'the operator to create its own Certificate',
      60_000,
      async () => {
        const c = await getChild<Any>(client, ns.name, ref);
        return c?.metadata.ownerReferences?.some((o) => o.name === OTHER && o.controller) && c;
      },
      1_000,
    );
    expect(cert.spec.secretName).toBe(`${OTHER}-tls`);
    await waitForCondition(client, ns.name, OTHER, { type: 'Degraded', status: 'False' });
  });
});
