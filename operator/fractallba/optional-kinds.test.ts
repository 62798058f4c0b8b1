import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';

import { API_VERSION, FIELD_MANAGER, FRACTALLBA } from '../api/constants.ts';
import type { FractalLBAStatus } from '../api/fractallba.ts';
import { KubeApiError } from '../kube/errors.ts';
import { WriteExpectations } from '../kube/expectations.ts';
import { FakeClock } from '../kube/fake-clock.ts';
import type { KindCache } from '../kube/informer-factory.ts';
import type { KubeObject } from '../kube/types.ts';
import { childKey, fractalLBAKey, kindKey } from './children.ts';
import type { FractalLBADeps } from './deps.ts';
import { FakeCluster, MapCache } from './fake-cluster.ts';
import { OptionalKinds, REDISCOVER_MS, SYNC_TIMEOUT_MS } from './optional-kinds.ts';
import { reconcileFractalLBA } from './reconcile.ts';

const NS = 'team-a';
const NAME = 'demo';
const CERTIFICATE = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate' };
const log = pino({ level: 'silent' });

/** A stand-in for a KindCache: a MapCache that can be started, stopped and made to never fill. */
class FakeKindCache extends MapCache<KubeObject> {
  running = false;
  synced = false;
  private waiters: Array<() => void> = [];
  constructor(private readonly fills = true) {
    super();
  }
  start() {
    this.running = true;
    if (this.fills) this.markSynced();
  }
  async stop() {
    this.running = false;
    for (const resolve of this.waiters.splice(0)) resolve();
  }
  hasSynced() {
    return this.synced;
  }
  waitForSync(): Promise<void> {
    if (this.synced || !this.running) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  private markSynced() {
    this.synced = true;
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}

let cluster: FakeCluster;
let clock: FakeClock;
let served: boolean;
let discoveries: number;
let kindsChanged: number;
let cachesFill: boolean;
let started: FakeKindCache[];
let optionalKinds: OptionalKinds;
let deps: FractalLBADeps;

beforeEach(() => {
  cluster = new FakeCluster();
  // A cluster without cert-manager: no cache for Certificates until discovery shows the kind.
  cluster.children.delete(kindKey(CERTIFICATE));
  clock = new FakeClock();
  served = false;
  discoveries = 0;
  kindsChanged = 0;
  cachesFill = true;
  started = [];
  optionalKinds = new OptionalKinds({
    client: {
      isServed: async () => {
        discoveries++;
        return served;
      },
    },
    clock,
    logger: log,
    startCache: async () => {
      const cache = new FakeKindCache(cachesFill);
      started.push(cache);
      cache.start();
      return cache as unknown as KindCache<KubeObject>;
    },
    readyCache: (gvk, cache) =>
      cluster.children.set(kindKey(gvk), cache as unknown as MapCache<KubeObject>),
    dropCache: (gvk) => cluster.children.delete(kindKey(gvk)),
    onKindsChanged: () => void kindsChanged++,
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

describe('a Certificate CRD deleted while the operator watches Certificates', () => {
  const notFound = () => new KubeApiError(404, '404 page not found');

  /** The CRD appears, the cache starts and the Certificate is created. */
  async function installed() {
    served = true;
    await reconcile();
    expect(
      cluster.stored(CERTIFICATE.apiVersion, CERTIFICATE.kind, NS, `${NAME}-tls`),
    ).toBeDefined();
    expect(started).toHaveLength(1);
  }

  /** What the API server does when the CRD goes: every Certificate is deleted with it. */
  async function crdDeleted() {
    served = false;
    await cluster.delete({ ...CERTIFICATE, namespace: NS, name: `${NAME}-tls` });
    cluster.failApply = { kind: 'Certificate', error: notFound() };
    cluster.calls.length = 0;
  }

  it('stops watching the kind, is Degraded again, and still applies the children after it', async () => {
    await installed();
    const changesBefore = kindsChanged;
    await crdDeleted();
    // A spec change meanwhile must reach the Deployment, which comes after the Certificate.
    const live = cluster.stored(API_VERSION, FRACTALLBA.kind, NS, NAME)!;
    cluster.seed({
      ...live,
      spec: { ...(live.spec as object), logLevel: 'debug' },
      metadata: { ...live.metadata, generation: 2 },
    });

    const outcome = await reconcile();

    expect(outcome).toEqual({ requeueAfterMs: REDISCOVER_MS });
    expect(condition('Degraded')).toMatchObject({
      status: 'True',
      reason: 'CRDNotInstalled',
      observedGeneration: 2,
    });
    expect(applied()).toEqual(expect.arrayContaining(['Certificate', 'ConfigMap', 'Deployment']));
    expect(started[0]!.running).toBe(false);
    expect(cluster.children.has(kindKey(CERTIFICATE))).toBe(false);
    expect(kindsChanged).toBe(changesBefore + 1);
  });

  it('notices from an informer failure alone, and only when discovery agrees the kind is gone', async () => {
    await installed();
    const discoveriesBefore = discoveries;

    // Any other failure is the informer's own business: no discovery request.
    expect(await optionalKinds.reportFailure(CERTIFICATE, new KubeApiError(500, 'boom'))).toBe(
      false,
    );
    expect(discoveries).toBe(discoveriesBefore);
    // A 404 while the kind is still served (an object gone, say) keeps the cache.
    expect(await optionalKinds.reportFailure(CERTIFICATE, notFound())).toBe(false);
    expect(started[0]!.running).toBe(true);

    served = false;
    const both = await Promise.all([
      optionalKinds.reportFailure(CERTIFICATE, notFound()),
      optionalKinds.reportFailure(CERTIFICATE, notFound()),
    ]);
    expect(both).toEqual([true, true]);
    expect(discoveries).toBe(discoveriesBefore + 2);
    expect(started[0]!.running).toBe(false);
    expect(cluster.children.has(kindKey(CERTIFICATE))).toBe(false);
  });

  it('watches the kind afresh once the CRD is back, and creates the Certificate again', async () => {
    await installed();
    await crdDeleted();
    await reconcile();
    expect(condition('Degraded')).toMatchObject({ reason: 'CRDNotInstalled' });

    served = true;
    await clock.advance(REDISCOVER_MS);
    await reconcile();

    expect(started).toHaveLength(2);
    expect(started[1]!.running).toBe(true);
    expect(applied()).toContain('Certificate');
    expect(
      cluster.stored(CERTIFICATE.apiVersion, CERTIFICATE.kind, NS, `${NAME}-tls`),
    ).toBeDefined();
    expect(condition('Degraded')).toMatchObject({ status: 'False' });
  });
});

describe('a served kind whose cache never fills (the operator may not list it)', () => {
  it('gives up after a while instead of holding the reconcile, and says what to check', async () => {
    served = true;
    cachesFill = false;

    const run = reconcile();
    const settled = run.then(
      () => 'resolved',
      (err: Error) => err.message,
    );
    await clock.advance(SYNC_TIMEOUT_MS);

    expect(await settled).toMatch(
      /the cluster serves cert-manager.io\/v1 Certificate, but the operator could not list it within 10 s; check that its RBAC allows list and watch/,
    );
    expect(started[0]!.running).toBe(false);
    expect(cluster.children.has(kindKey(CERTIFICATE))).toBe(false);
    expect(condition('Degraded')).toMatchObject({ status: 'True', reason: 'ApplyFailed' });
    expect(condition('Degraded')?.message).toContain('check that its RBAC allows list and watch');

    // Until the next attempt, the same answer at once, without asking again.
    const discoveriesBefore = discoveries;
    await expect(reconcile()).rejects.toThrow(/could not list it/);
    expect(discoveries).toBe(discoveriesBefore);
    expect(started).toHaveLength(1);
  });
});
