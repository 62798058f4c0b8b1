import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';

import {
  ANNOTATIONS,
  API_VERSION,
  FIELD_MANAGER,
  FINALIZER_RETAIN_WAL,
  FRACTALLBA,
} from '../api/constants.ts';
import type { FractalLBAStatus } from '../api/fractallba.ts';
import { KubeApiError, TerminalError } from '../kube/errors.ts';
import { WriteExpectations } from '../kube/expectations.ts';
import { FakeClock } from '../kube/fake-clock.ts';
import type { FieldsV1, KubeObject } from '../kube/types.ts';
import type { ReconcileOutcome } from '../runtime/controller.ts';
import { childKey, fractalLBAKey } from './children.ts';
import type { FractalLBADeps } from './deps.ts';
import { FakeCluster } from './fake-cluster.ts';
import { reconcileFractalLBA } from './reconcile.ts';
import { summariseSecret } from './secrets.ts';

const NS = 'team-a';
const NAME = 'demo';
const log = pino({ level: 'silent' });

let cluster: FakeCluster;
let events: Array<{ type: string; reason: string; message: string }>;
let deps: FractalLBADeps;

beforeEach(() => {
  cluster = new FakeCluster();
  events = [];
  const clock = new FakeClock();
  deps = {
    api: cluster,
    caches: cluster.caches(),
    expectations: new WriteExpectations(15_000, clock),
    events: {
      record: async (_obj, type, reason, message) => void events.push({ type, reason, message }),
    },
    clock,
    fieldManager: FIELD_MANAGER,
  };
  // What the watch handlers do in the operator: tell the expectations what the caches saw.
  cluster.onEvent = (obj, gone) => {
    const key =
      obj.kind === FRACTALLBA.kind ? fractalLBAKey(NS, obj.metadata.name ?? '') : childKey(obj);
    deps.expectations.observe(key, gone ? undefined : obj);
  };
});

function flk(
  spec: Record<string, unknown> = { signing: { mode: 'none' } },
  meta: Partial<KubeObject['metadata']> = {},
) {
  return cluster.seed({
    apiVersion: API_VERSION,
    kind: FRACTALLBA.kind,
    metadata: { name: NAME, namespace: NS, ...meta },
    spec,
  });
}

/** A new spec, as a user's apply would write it: generation moves, status stays. */
function changeSpec(spec: Record<string, unknown>) {
  const live = cluster.stored(API_VERSION, FRACTALLBA.kind, NS, NAME)!;
  cluster.seed({
    ...live,
    spec,
    metadata: { ...live.metadata, generation: (live.metadata.generation ?? 1) + 1 },
  });
}

function reconcile(): Promise<ReconcileOutcome> {
  return reconcileFractalLBA(
    { key: `${NS}/${NAME}`, namespace: NS, name: NAME },
    { log, reconcileId: 'test' },
    deps,
  );
}

function status(): FractalLBAStatus | undefined {
  return cluster.stored(API_VERSION, FRACTALLBA.kind, NS, NAME)?.status as
    FractalLBAStatus | undefined;
}

function condition(type: string) {
  return status()?.conditions?.find((c) => c.type === type);
}

function childApplies() {
  return cluster.calls.filter((c) => c.verb === 'apply' && c.subresource === undefined);
}

function deployment(): KubeObject {
  return cluster.stored('apps/v1', 'Deployment', NS, NAME)!;
}

/** What the Deployment controller would do once the pods of the current template are available. */
function rolloutCompletes(replicas = 1) {
  const d = deployment();
  cluster.seed({
    ...d,
    status: {
      observedGeneration: d.metadata.generation,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }],
    },
  });
}

describe('reconcileFractalLBA', () => {
  it('creates every child, then says it waits for the rollout', async () => {
    flk();

    await reconcile();

    expect(childApplies().map((c) => c.kind)).toEqual([
      'ServiceAccount',
      'ConfigMap',
      'PersistentVolumeClaim',
      'Service',
      'Deployment',
      'PodDisruptionBudget',
      'NetworkPolicy',
      'CronJob',
    ]);
    expect(condition('Ready')).toMatchObject({ status: 'False', reason: 'RollingOut' });
    expect(condition('Progressing')).toMatchObject({ status: 'True', reason: 'RollingOut' });
    expect(status()?.serviceURL).toBe(`http://${NAME}.${NS}.svc:80`);
    expect(events.map((e) => e.reason)).toEqual(['Created', 'RollingOut']);
  });

  it('writes status only through the status subresource, and never a spec on the FractalLBA', async () => {
    flk();

    await reconcile();

    const own = cluster.calls.filter((c) => c.kind === FRACTALLBA.kind);
    expect(own).toHaveLength(1);
    expect(own[0]).toMatchObject({ verb: 'apply', subresource: 'status' });
    expect((own[0] as { body: KubeObject }).body.spec).toBeUndefined();
  });

  it('writes nothing at all once settled: no apply, no status, no event', async () => {
    flk();
    await reconcile();
    rolloutCompletes();
    await reconcile();
    const writes = cluster.calls.length;
    const eventCount = events.length;

    await reconcile();
    await reconcile();

    expect(cluster.calls.length).toBe(writes);
    expect(events.length).toBe(eventCount);
    expect(condition('Ready')).toMatchObject({
      status: 'True',
      reason: 'Available',
      message: '1 of 1 replica available',
    });
  });

  it('turns Ready when the rollout completes, moving lastTransitionTime only on that flip', async () => {
    flk();
    await reconcile();
    const notReadySince = condition('Ready')!.lastTransitionTime;
    await (deps.clock as FakeClock).advance(60_000);

    rolloutCompletes();
    await reconcile();

    expect(condition('Ready')).toMatchObject({ status: 'True', reason: 'Available' });
    expect(condition('Ready')!.lastTransitionTime).not.toBe(notReadySince);
    expect(condition('Degraded')).toMatchObject({ status: 'False', reason: 'AsExpected' });
    expect(events.at(-1)).toMatchObject({ type: 'Normal', reason: 'Available' });
  });

  it('does not call a rollout done from a Deployment the cache has not updated yet', async () => {
    flk();
    await reconcile();
    rolloutCompletes();
    await reconcile();

    changeSpec({ signing: { mode: 'none' }, image: 'example.org/b:2' });
    cluster.lagging = true;
    await reconcile();

    expect(
      childApplies()
        .map((c) => c.kind)
        .slice(-2),
    ).toEqual(['Deployment', 'CronJob']);
    expect(condition('Ready')).toMatchObject({
      status: 'False',
      reason: 'RollingOut',
      observedGeneration: 2,
      message: `waiting for Deployment ${NAME} to take the new spec`,
    });
  });

  it('records the generation it reconciled on status and on every condition', async () => {
    flk({ signing: { mode: 'none' } }, { generation: 7 });

    await reconcile();

    expect(status()?.observedGeneration).toBe(7);
    expect(status()?.conditions?.map((c) => c.observedGeneration)).toEqual([7, 7, 7]);
  });

  it('leaves children whose last write the cache has not shown yet alone, and asks to run again', async () => {
    flk();
    cluster.lagging = true;
    await reconcile();
    const applies = childApplies().length;

    const outcome = await reconcile();

    expect(childApplies().length).toBe(applies);
    expect(outcome.requeueAfterMs).toBe(15_000);
  });

  describe('hand edits', () => {
    it('puts back a field someone else changed, and says which', async () => {
      flk();
      await reconcile();
      rolloutCompletes();
      await reconcile();

      cluster.handEdit(
        deployment(),
        (d) => ((d.spec as { replicas: number }).replicas = 5),
        (fields) => delete (fields['f:spec'] as FieldsV1)['f:replicas'],
      );
      await reconcile();

      expect(childApplies().at(-1)?.kind).toBe('Deployment');
      expect((deployment().spec as { replicas: number }).replicas).toBe(1);
      expect(events.find((e) => e.reason === 'Reverted')).toMatchObject({
        message: `put back Deployment ${NAME} (spec.replicas), which someone else had changed`,
      });
    });

    it('puts back labels whose removal took a child out of its view, calling it reverted, not created', async () => {
      flk();
      await reconcile();
      const service = cluster.stored('v1', 'Service', NS, NAME)!;
      cluster.forget(service);

      await reconcile();

      expect(childApplies().at(-1)?.kind).toBe('Service');
      expect(events.find((e) => e.reason === 'Reverted')?.message).toContain(
        `Service ${NAME} (metadata.labels)`,
      );
      expect(events.filter((e) => e.reason === 'Created')).toHaveLength(1);
    });

    it('recreates a child that was deleted', async () => {
      flk();
      await reconcile();
      await cluster.delete({ apiVersion: 'v1', kind: 'Service', namespace: NS, name: NAME });
      cluster.calls.length = 0;

      await reconcile();

      expect(childApplies().map((c) => c.kind)).toEqual(['Service']);
    });
  });

  describe('pruning', () => {
    it('deletes a child it owns that is no longer rendered', async () => {
      flk();
      await reconcile();

      changeSpec({ signing: { mode: 'none' }, pdb: { enabled: false } });
      await reconcile();

      expect(cluster.calls.filter((c) => c.verb === 'delete')).toEqual([
        { verb: 'delete', kind: 'PodDisruptionBudget', name: NAME },
      ]);
      expect(events.some((e) => e.reason === 'Pruned')).toBe(true);
    });
  });

  describe('the pause annotation', () => {
    it('reports Paused and changes nothing else, even with a child missing', async () => {
      flk({ signing: { mode: 'none' } }, { annotations: { [ANNOTATIONS.paused]: 'true' } });

      await reconcile();

      expect(childApplies()).toEqual([]);
      expect(condition('Progressing')).toMatchObject({ status: 'False', reason: 'Paused' });
      expect(status()?.observedGeneration).toBeUndefined();
      expect(events).toEqual([expect.objectContaining({ reason: 'Paused' })]);
    });
  });

  describe('an invalid spec', () => {
    it('is Degraded with every error, terminal, and touches no child', async () => {
      flk({ signing: { mode: 'none' }, replicas: 3 });

      await expect(reconcile()).rejects.toBeInstanceOf(TerminalError);

      expect(childApplies()).toEqual([]);
      expect(condition('Degraded')).toMatchObject({ status: 'True', reason: 'InvalidSpec' });
      expect(condition('Degraded')!.message).toContain('spec.wal.accessMode');
      expect(condition('Degraded')!.message).toContain('spec.dedup.backend');
      expect(condition('Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    });
  });

  describe('keys', () => {
    it('waits for a missing verifier Secret, naming it, and renders nothing', async () => {
      flk({ signing: { keyRefs: [{ name: 'k1' }] } });

      await reconcile();

      expect(childApplies()).toEqual([]);
      expect(condition('Progressing')).toMatchObject({ status: 'True', reason: 'WaitingForKeys' });
      expect(condition('Progressing')!.message).toContain(`Secret ${NS}/k1-verifier`);
    });

    it('mounts the verifier Secret and reports its key ids once the rollout is done', async () => {
      cluster.secrets.put(
        summariseSecret({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'k1-verifier', namespace: NS },
          data: { 'id-1.json': 'e30=', 'id-2.json': 'e30=' },
        }),
      );
      flk({ signing: { keyRefs: [{ name: 'k1' }] } });

      await reconcile();
      expect(status()?.keyIds).toBeUndefined();
      rolloutCompletes();
      await reconcile();

      expect(status()?.keyIds).toEqual(['id-1', 'id-2']);
      const volumes = (
        deployment().spec as {
          template: { spec: { volumes: Array<{ secret?: { secretName: string } }> } };
        }
      ).template.spec.volumes;
      expect(volumes.some((v) => v.secret?.secretName === 'k1-verifier')).toBe(true);
    });
  });

  describe('a child the API server refuses', () => {
    it('is Degraded with the child named, and the error is terminal', async () => {
      flk();
      cluster.failApply = {
        kind: 'Service',
        error: new KubeApiError(
          422,
          'Service "demo" is invalid: spec.ports[0].port: Invalid value',
          'Invalid',
        ),
      };

      await expect(reconcile()).rejects.toBeInstanceOf(TerminalError);

      expect(condition('Degraded')).toMatchObject({ status: 'True', reason: 'ApplyFailed' });
      expect(condition('Degraded')!.message).toContain('the API server rejected Service demo');
      expect(events.at(-1)).toMatchObject({ type: 'Warning', reason: 'ApplyFailed' });
    });

    it('is retried when the failure is transient, with status saying so', async () => {
      flk();
      cluster.failApply = {
        kind: 'Service',
        error: new KubeApiError(503, 'the server is currently unable to handle the request'),
      };

      const failure = await reconcile().catch((err: unknown) => err);

      expect(failure).toBeInstanceOf(KubeApiError);
      expect(condition('Progressing')!.message).toContain('retrying with backoff');
    });
  });

  describe('a child whose name someone else already uses', () => {
    const tls = { signing: { mode: 'none' }, tls: { certificate: { issuerRef: { name: 'ca' } } } };
    const ref = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', namespace: NS };

    /** An object of someone else's: not labelled as ours, so the label-selected cache lacks it. */
    function theirs(obj: KubeObject) {
      cluster.forget(cluster.seed(obj));
    }

    it('is left alone, with a message naming it, and the other children are applied', async () => {
      flk(tls);
      theirs({
        ...ref,
        metadata: { name: `${NAME}-tls`, namespace: NS },
        spec: { secretName: 'their-secret', issuerRef: { name: 'their-ca' } },
      });

      const outcome = await reconcile();

      expect(outcome).toEqual({ requeueAfterMs: 30_000 });
      const cert = cluster.stored(ref.apiVersion, ref.kind, NS, `${NAME}-tls`)!;
      expect(cert.spec).toEqual({ secretName: 'their-secret', issuerRef: { name: 'their-ca' } });
      expect(cert.metadata.ownerReferences).toBeUndefined();
      expect(childApplies().map((c) => c.kind)).not.toContain('Certificate');
      expect(childApplies().map((c) => c.kind)).toContain('Deployment');
      expect(condition('Degraded')).toMatchObject({ status: 'True', reason: 'ApplyFailed' });
      expect(condition('Degraded')!.message).toBe(
        `Certificate ${NS}/${NAME}-tls already exists and it was not created by this FractalLBA, ` +
          'so the operator leaves it alone: delete or rename it to have the operator create its ' +
          'own (looked at again every 30 s)',
      );
    });

    it('names the controller of an object another controller owns', async () => {
      flk();
      theirs({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name: NAME,
          namespace: NS,
          ownerReferences: [
            { apiVersion: 'v1', kind: 'Foo', name: 'bar', uid: 'uid-foo', controller: true },
          ],
        },
        spec: { ports: [{ port: 1 }] },
      });

      await reconcile();

      expect(condition('Degraded')!.message).toContain(
        `Service ${NS}/${NAME} already exists and it is controlled by Foo bar`,
      );
    });

    it('creates its own once that object is gone', async () => {
      const owner = flk(tls);
      theirs({
        ...ref,
        metadata: { name: `${NAME}-tls`, namespace: NS },
        spec: { secretName: 'their-secret', issuerRef: { name: 'their-ca' } },
      });
      await reconcile();

      await cluster.delete({ ...ref, name: `${NAME}-tls` });
      await reconcile();

      const cert = cluster.stored(ref.apiVersion, ref.kind, NS, `${NAME}-tls`)!;
      expect(cert.metadata.ownerReferences).toEqual([
        expect.objectContaining({ uid: owner.metadata.uid, controller: true }),
      ]);
      expect(condition('Degraded')).toMatchObject({ status: 'False' });
    });
  });

  describe('the WAL finalizer', () => {
    it('is held while retainOnDelete is set, and the claim carries no owner reference', async () => {
      flk({ signing: { mode: 'none' }, wal: { retainOnDelete: true } });

      await reconcile();

      const stored = cluster.stored(API_VERSION, FRACTALLBA.kind, NS, NAME)!;
      expect(stored.metadata.finalizers).toEqual([FINALIZER_RETAIN_WAL]);
      expect(
        cluster.stored('v1', 'PersistentVolumeClaim', NS, `${NAME}-wal`)!.metadata.ownerReferences,
      ).toBeUndefined();
    });

    it('on deletion detaches a claim that is still owned, then releases the FractalLBA', async () => {
      const owner = flk({ signing: { mode: 'none' }, wal: { retainOnDelete: true } });
      await reconcile();
      const claim = cluster.stored('v1', 'PersistentVolumeClaim', NS, `${NAME}-wal`)!;
      cluster.seed({
        ...claim,
        metadata: {
          ...claim.metadata,
          ownerReferences: [
            {
              apiVersion: API_VERSION,
              kind: FRACTALLBA.kind,
              name: NAME,
              uid: owner.metadata.uid!,
              controller: true,
            },
          ],
        },
      });
      const live = cluster.stored(API_VERSION, FRACTALLBA.kind, NS, NAME)!;
      cluster.seed({
        ...live,
        metadata: { ...live.metadata, deletionTimestamp: '2030-01-01T00:00:00Z' },
      });

      await reconcile();

      expect(
        cluster.stored('v1', 'PersistentVolumeClaim', NS, `${NAME}-wal`)!.metadata.ownerReferences,
      ).toEqual([]);
      expect(cluster.stored(API_VERSION, FRACTALLBA.kind, NS, NAME)).toBeUndefined();
      expect(events.some((e) => e.reason === 'WALRetained')).toBe(true);
    });

    it('releases a FractalLBA being deleted even while it is paused', async () => {
      flk(
        { signing: { mode: 'none' } },
        {
          finalizers: [FINALIZER_RETAIN_WAL],
          deletionTimestamp: '2030-01-01T00:00:00Z',
          annotations: { [ANNOTATIONS.paused]: 'true' },
        },
      );

      await reconcile();

      expect(cluster.stored(API_VERSION, FRACTALLBA.kind, NS, NAME)).toBeUndefined();
    });
  });

  it('does nothing for a FractalLBA that is gone', async () => {
    expect(await reconcile()).toEqual({});
    expect(cluster.calls).toEqual([]);
  });
});
