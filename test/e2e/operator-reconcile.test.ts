/**
 * The FractalLBA controller on a real API server, with the operator as a child process: what it
 * renders, how status follows the rollout, waiting for keys, and the pause annotation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  ANNOTATIONS,
  BACKEND,
  DEFAULT_BACKEND_IMAGE,
  FIELD_MANAGER,
  LABELS,
} from '../../operator/api/constants.ts';
import type { KubeClient } from '../../operator/kube/client.ts';
import type { KubeObject } from '../../operator/kube/types.ts';
import { applyAsTest, createNamespace, installCrds, testClient } from './helpers/cluster.ts';
import {
  condition,
  defaultChildren,
  getChild,
  getFractalLBA,
  waitForCondition,
} from './helpers/flk.ts';
import { fractalLBA, verifierSecret, walVolumeFor } from './helpers/fixtures.ts';
import { OperatorProcess } from './helpers/operator-process.ts';
import { waitFor } from './helpers/wait.ts';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let client: KubeClient;
let ns: Awaited<ReturnType<typeof createNamespace>>;
let operator: OperatorProcess;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  client = testClient();
  await installCrds(client);
  ns = await createNamespace(client, 'flk-e2e-reconcile');
  operator = await OperatorProcess.start({ name: 'reconcile', namespaces: [ns.name] });
  await operator.waitReady();
});

afterAll(async () => {
  await operator?.stop();
  for (const cleanup of cleanups) await cleanup().catch(() => {});
  await ns?.remove();
});

describe('a FractalLBA with one SigningKey', () => {
  const name = 'alpha';

  beforeAll(async () => {
    await applyAsTest(client, verifierSecret(ns.name, 'k1', ['k1-a', 'k1-b']));
    cleanups.push(await walVolumeFor(client, ns.name, name));
    await applyAsTest(
      client,
      fractalLBA(ns.name, name, { signing: { keyRefs: [{ name: 'k1' }] } }),
    );
    await waitForCondition(client, ns.name, name, {
      type: 'Ready',
      status: 'True',
      reason: 'Available',
    });
  });

  it('has every child, each controlled by the FractalLBA and labelled as ours', async () => {
    const flk = await getFractalLBA(client, ns.name, name);

    for (const expected of defaultChildren(name)) {
      const child = await getChild(client, ns.name, expected);
      expect(child, `${expected.kind} ${expected.name}`).toBeDefined();
      expect(child!.metadata.labels).toMatchObject({
        [LABELS.instance]: name,
        [LABELS.managedBy]: FIELD_MANAGER,
      });
      expect(child!.metadata.ownerReferences).toEqual([
        expect.objectContaining({
          kind: 'FractalLBA',
          name,
          uid: flk!.metadata.uid,
          controller: true,
        }),
      ]);
      const managers = (child!.metadata.managedFields ?? []).filter(
        (m) => m.operation === 'Apply' && !m.subresource,
      );
      expect(managers.map((m) => m.manager)).toEqual([FIELD_MANAGER]);
    }
  });

  it('renders the key fields of the backend: image, keys mounted as directories, checksum, ports', async () => {
    const deployment = (await getChild(client, ns.name, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name,
    })) as Any;
    const pod = deployment.spec.template;
    const container = pod.spec.containers[0];

    expect(deployment.spec.replicas).toBe(1);
    expect(container.image).toBe(DEFAULT_BACKEND_IMAGE);
    // The admin port (probes and metrics) is rendered with or without spec.tls (docs/tls.md).
    expect(container.ports).toEqual([
      expect.objectContaining({ containerPort: BACKEND.port, name: BACKEND.portName }),
      expect.objectContaining({ containerPort: BACKEND.adminPort, name: BACKEND.adminPortName }),
    ]);
    expect(pod.metadata.annotations[ANNOTATIONS.checksum]).toMatch(/^[0-9a-f]{64}$/);
    const keyVolume = pod.spec.volumes.find((v: Any) => v.secret?.secretName === 'k1-verifier');
    expect(keyVolume).toBeDefined();
    const mount = container.volumeMounts.find((m: Any) => m.name === keyVolume.name);
    expect(mount).toMatchObject({ mountPath: `${BACKEND.keysRoot}/k1`, readOnly: true });
    expect(mount.subPath).toBeUndefined();
    expect(
      pod.spec.volumes.some((v: Any) => v.persistentVolumeClaim?.claimName === `${name}-wal`),
    ).toBe(true);

    const service = (await getChild(client, ns.name, {
      apiVersion: 'v1',
      kind: 'Service',
      name,
    })) as Any;
    expect(service.spec.ports).toEqual([
      expect.objectContaining({ port: 80, targetPort: BACKEND.port }),
      expect.objectContaining({ port: BACKEND.adminPort, targetPort: BACKEND.adminPort }),
    ]);
    expect(service.spec.selector).toEqual(pod.metadata.labels);

    const claim = (await getChild(client, ns.name, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      name: `${name}-wal`,
    })) as Any;
    expect(claim.spec).toMatchObject({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
    });

    const cron = (await getChild(client, ns.name, {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      name: `${name}-wal-compaction`,
    })) as Any;
    expect(cron.spec.schedule).toBe('17 * * * *');
  });

  it('reports status: generation, kstatus conditions, replicas, key ids and the Service URL', async () => {
    const flk = await getFractalLBA(client, ns.name, name);
    const status = flk!.status!;

    expect(status.observedGeneration).toBe(flk!.metadata.generation);
    expect(status).toMatchObject({
      replicas: 1,
      readyReplicas: 1,
      updatedReplicas: 1,
      availableReplicas: 1,
      keyIds: ['k1-a', 'k1-b'],
      serviceURL: `http://${name}.${ns.name}.svc:80`,
    });
    expect(status.conditions!.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'True', 'Available'],
      ['Progressing', 'False', 'RolloutComplete'],
      ['Degraded', 'False', 'AsExpected'],
    ]);
    for (const c of status.conditions!) expect(c.observedGeneration).toBe(flk!.metadata.generation);
  });

  it('records events with constant reasons for what it did', async () => {
    const events = await client.list<KubeObject & { reason: string; involvedObject: Any }>(
      { apiVersion: 'v1', kind: 'Event' },
      {
        namespace: ns.name,
        fieldSelector: `involvedObject.kind=FractalLBA,involvedObject.name=${name}`,
      },
    );
    const reasons = events.items.map((e) => e.reason);

    expect(reasons).toContain('Created');
    expect(reasons).toContain('Available');
  });
});

describe('status follows the rollout', () => {
  const name = 'beta';

  it('is Progressing with what it waits for while the pod cannot be scheduled, then Ready', async () => {
    // No volume for the WAL claim yet: the claim stays Pending, so the pod cannot be scheduled.
    await applyAsTest(client, fractalLBA(ns.name, name, { signing: { mode: 'none' } }));

    const waiting = await waitForCondition(client, ns.name, name, {
      type: 'Progressing',
      status: 'True',
      reason: 'RollingOut',
    });
    const ready = condition(waiting, 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'RollingOut' });
    await waitFor(
      'the message to name the replica awaited and the claim it waits on',
      30_000,
      async () =>
        condition(await getFractalLBA(client, ns.name, name), 'Ready')?.message.startsWith(
          `waiting for 1 of 1 replica to become available: PersistentVolumeClaim ${name}-wal is Pending`,
        ),
    );
    const notReadySince = condition(
      await getFractalLBA(client, ns.name, name),
      'Ready',
    )!.lastTransitionTime;

    cleanups.push(await walVolumeFor(client, ns.name, name));
    const done = await waitForCondition(client, ns.name, name, {
      type: 'Ready',
      status: 'True',
      reason: 'Available',
    });

    expect(condition(done, 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'RolloutComplete',
    });
    expect(condition(done, 'Ready')!.lastTransitionTime >= notReadySince).toBe(true);
    expect(done.status?.keyIds ?? []).toEqual([]);
  });

  it('rolls out a new image: observedGeneration moves and Ready returns for the new generation', async () => {
    const before = await getFractalLBA(client, ns.name, name);
    await applyAsTest(
      client,
      fractalLBA(ns.name, name, {
        signing: { mode: 'none' },
        image: 'example.org/flk-backend:next',
      }),
    );

    const after = await waitForCondition(client, ns.name, name, { type: 'Ready', status: 'True' });
    const deployment = (await getChild(client, ns.name, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name,
    })) as Any;

    expect(after.metadata.generation).toBe(before!.metadata.generation! + 1);
    expect(after.status!.observedGeneration).toBe(after.metadata.generation);
    expect(deployment.spec.template.spec.containers[0].image).toBe('example.org/flk-backend:next');
    expect(deployment.status.updatedReplicas).toBe(1);
  });
});

describe('keys that do not exist yet', () => {
  const name = 'gamma';

  it('waits, naming the missing Secret, and converges once it appears', async () => {
    cleanups.push(await walVolumeFor(client, ns.name, name));
    await applyAsTest(
      client,
      fractalLBA(ns.name, name, { signing: { keyRefs: [{ name: 'late' }] } }),
    );

    const waiting = await waitForCondition(client, ns.name, name, {
      type: 'Progressing',
      status: 'True',
      reason: 'WaitingForKeys',
    });
    expect(condition(waiting, 'Progressing')!.message).toContain(`Secret ${ns.name}/late-verifier`);
    expect(condition(waiting, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'WaitingForKeys',
    });
    expect(
      await getChild(client, ns.name, { apiVersion: 'apps/v1', kind: 'Deployment', name }),
    ).toBeUndefined();

    await applyAsTest(client, verifierSecret(ns.name, 'late', ['late-1']));
    const ready = await waitForCondition(client, ns.name, name, { type: 'Ready', status: 'True' });
    expect(ready.status!.keyIds).toEqual(['late-1']);
  });

  it('rolls the pods when the verifier Secret changes, and reports the new key ids after the rollout', async () => {
    const deploymentRef = { apiVersion: 'apps/v1', kind: 'Deployment', name };
    const before = (await getChild(client, ns.name, deploymentRef)) as Any;

    await applyAsTest(client, verifierSecret(ns.name, 'late', ['late-1', 'late-2']));

    const flk = await waitFor('key ids to include the new key', 30_000, async () => {
      const f = await getFractalLBA(client, ns.name, name);
      return f?.status?.keyIds?.includes('late-2') && f;
    });
    const after = (await getChild(client, ns.name, deploymentRef)) as Any;
    expect(after.spec.template.metadata.annotations[ANNOTATIONS.checksum]).not.toBe(
      before.spec.template.metadata.annotations[ANNOTATIONS.checksum],
    );
    expect(condition(flk, 'Ready')?.status).toBe('True');
  });
});

describe('the pause annotation', () => {
  const name = 'delta';

  it('says Paused and leaves hand edits alone; removing it resumes and reverts them', async () => {
    cleanups.push(await walVolumeFor(client, ns.name, name));
    const manifest = fractalLBA(ns.name, name, { signing: { mode: 'none' } });
    await applyAsTest(client, manifest);
    await waitForCondition(client, ns.name, name, { type: 'Ready', status: 'True' });

    await applyAsTest(client, {
      ...manifest,
      metadata: { ...manifest.metadata, annotations: { [ANNOTATIONS.paused]: 'true' } },
    });
    await waitFor(
      'Progressing to say Paused',
      30_000,
      async () =>
        condition(await getFractalLBA(client, ns.name, name), 'Progressing')?.reason === 'Paused',
    );
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name, name: `${name}-config` };
    await client.mergePatch(ref, { data: { LOG_LEVEL: 'debug' } }, { fieldManager: 'hand-edit' });
    // Give a paused operator every chance to (wrongly) revert: a full round of child events.
    await waitFor('the operator to have seen the edit', 10_000, () =>
      operator.logs.some((l) => l.msg === 'reconcile finished' && l.name === name),
    );
    const whilePaused = (await client.get<Any & KubeObject>(ref))!;
    expect(whilePaused.data.LOG_LEVEL).toBe('debug');

    await applyAsTest(client, manifest);
    await waitFor('the hand edit to be reverted', 30_000, async () => {
      const cm = (await client.get<Any & KubeObject>(ref))!;
      return cm.data.LOG_LEVEL !== 'debug';
    });
    await waitForCondition(client, ns.name, name, { type: 'Ready', status: 'True' });
  });
});
