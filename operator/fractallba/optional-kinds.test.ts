import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';

import { API_VERSION, FIELD_MANAGER, FRACTALLBA } from '../api/constants.ts';
import type { FractalLBAStatus } from '../api/fractallba.ts';
import { WriteExpectations } from '../kube/expectations.ts';
import { FakeClock } from '../kube/fake-clock.ts';
import type { KindCache } from '../kube/informer-factory.ts';
import type { KubeObject } from '../kube/types.ts';
import { childKey, fractalLBAKey, kindKey } from './children.ts';
import type { FractalLBADeps } from './deps.ts';
import { FakeCluster, MapCache } from './fake-cluster.ts';
import { OptionalKinds, REDISCOVER_MS } from './optional-kinds.ts';
import { reconcileFractalLBA } from './reconcile.ts';

const NS = 'team-a';
const NAME = 'demo';
const CERTIFICATE = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate' };
const log = pino({ level: 'silent' });

let cluster: FakeCluster;
let clock: FakeClock;
let served: boolean;
let discoveries: number;
let deps: FractalLBADeps;

beforeEach(() => {
  cluster = new FakeCluster();
  // A cluster without cert-manager: no cache for Certificates until discovery shows the kind.
  cluster.children.delete(kindKey(CERTIFICATE));
  clock = new FakeClock();
  served = false;
  discoveries = 0;
  const optionalKinds = new OptionalKinds({
    client: {
      isServed: async () => {
        discoveries++;
        return served;
      },
    },
    clock,
    logger: log,
    startCache: async (gvk) => {
      const cache = new MapCache<KubeObject>();
      cluster.children.set(kindKey(gvk), cache);
      return cache as unknown as KindCache<KubeObject>;
    },
  });
  deps = {
    api: cluster,
    caches: cluster.caches(),
    expectations: new WriteExpectations(15_000, clock),
    events: { record: async () => undefined },
    clock,
    fieldManager: FIELD_MANAGER,
    optionalKinds,
  };
  cluster.onEvent = (obj, gone) => {
    const key =
      obj.kind === FRACTALLBA.kind ? fractalLBAKey(NS, obj.metadata.name ?? '') : childKey(obj);
    deps.expectations.observe(key, gone ? undefined : obj);
  };
  cluster.seed({
    apiVersion: API_VERSION,
    kind: FRACTALLBA.kind,
    metadata: { name: NAME, namespace: NS },
    spec: { signing: { mode: 'none' }, tls: { certificate: { issuerRef: { name: 'ca' } } } },
  });
});

const reconcile = () =>
  reconcileFractalLBA(
    { key: `${NS}/${NAME}`, namespace: NS, name: NAME },
    { log, reconcileId: 'test' },
    deps,
  );
const status = () =>
  cluster.stored(API_VERSION, FRACTALLBA.kind, NS, NAME)?.status as FractalLBAStatus | undefined;
const condition = (type: string) => status()?.conditions?.find((c) => c.type === type);
const applied = () =>
  cluster.calls.filter((c) => c.verb === 'apply' && c.subresource === undefined).map((c) => c.kind);

describe('a FractalLBA that asks for a Certificate in a cluster without cert-manager', () => {
  it('is Degraded with a message naming cert-manager, applies every other child, and looks again later', async () => {
    const outcome = await reconcile();

    expect(outcome).toEqual({ requeueAfterMs: REDISCOVER_MS });
    expect(condition('Degraded')).toMatchObject({ status: 'True', reason: 'CRDNotInstalled' });
    expect(condition('Degraded')?.message).toContain(
      'the cluster does not serve cert-manager.io/v1 Certificate (needed for Certificate demo-tls): install cert-manager',
    );
    expect(condition('Ready')).toMatchObject({ status: 'False' });
    expect(applied()).toContain('Deployment');
    expect(applied()).not.toContain('Certificate');
  });

  it('asks discovery once per interval however often it reconciles', async () => {
    await reconcile();
    await reconcile();
    await reconcile();
    expect(discoveries).toBe(1);

    await clock.advance(REDISCOVER_MS);
    await reconcile();
    expect(discoveries).toBe(2);
  });

  it('creates the Certificate once the CRD is installed, and is no longer Degraded', async () => {
    await reconcile();
    served = true;
    await clock.advance(REDISCOVER_MS);

    await reconcile();

    expect(applied()).toContain('Certificate');
    const cert = cluster.stored('cert-manager.io/v1', 'Certificate', NS, `${NAME}-tls`);
    expect(cert?.spec).toMatchObject({ secretName: `${NAME}-tls`, issuerRef: { name: 'ca' } });
    expect(condition('Degraded')).toMatchObject({ status: 'False' });
  });
});
