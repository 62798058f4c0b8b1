import pino from 'pino';
import { describe, expect, it } from 'vitest';

import { API_VERSION, SIGNINGKEY } from '../api/constants.ts';
import type { SigningKeySpec } from '../api/signingkey.ts';
import { KubeApiError, TerminalError } from '../kube/errors.ts';
import { WriteExpectations } from '../kube/expectations.ts';
import { FakeClock } from '../kube/fake-clock.ts';
import type { ApplyOptions } from '../kube/client.ts';
import type { FieldsV1, KubeObject, ObjectRef } from '../kube/types.ts';
import type { SigningKeyDeps, SigningKeyObject } from './deps.ts';
import { reconcileSigningKey } from './reconcile.ts';
import { REASON } from './reasons.ts';
import { testKey } from './testing.ts';

const NS = 'ingest';
const log = pino({ level: 'silent' });
const ctx = { log, reconcileId: 'test' };
const req = { key: `${NS}/agents`, namespace: NS, name: 'agents' };

class MapCache<T extends KubeObject = KubeObject> {
  readonly items = new Map<string, T>();
  get(namespace: string, name: string) {
    return this.items.get(`${namespace}/${name}`);
  }
  list(namespace?: string) {
    return [...this.items.values()].filter(
      (o) => namespace === undefined || o.metadata.namespace === namespace,
    );
  }
  put(obj: T) {
    this.items.set(`${obj.metadata.namespace}/${obj.metadata.name}`, obj);
  }
}

/** Field sets as the API server would record them for an apply of `obj` (lists atomic). */
function fieldsOf(value: unknown): FieldsV1 {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [`f:${k}`, fieldsOf(v)]));
}

/** Server-side apply, just enough of it: our manager's fields are what we last sent. */
class FakeApi {
  calls: string[] = [];
  rv = 100;
  fail: ((obj: KubeObject, opts: ApplyOptions) => Error | undefined) | undefined;
  constructor(private readonly deps: () => SigningKeyDeps) {}

  async get<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    this.calls.push(`get ${ref.kind} ${ref.name}`);
    return this.deps().caches.secrets.get(ref.namespace ?? '', ref.name) as T | undefined;
  }

  async apply<T extends KubeObject>(obj: KubeObject, opts: ApplyOptions): Promise<T> {
    const what = `${obj.kind}${opts.subresource ? `/${opts.subresource}` : ''} ${obj.metadata.name}`;
    this.calls.push(`apply ${what}`);
    const failure = this.fail?.(obj, opts);
    if (failure) throw failure;

    const { caches, expectations } = this.deps();
    const rv = String(++this.rv);
    if (obj.kind === 'Secret') {
      const live = caches.secrets.get(NS, obj.metadata.name ?? '');
      if (
        obj.metadata.resourceVersion &&
        obj.metadata.resourceVersion !== live?.metadata.resourceVersion
      ) {
        throw new KubeApiError(409, 'the object has been modified');
      }
      const stored = {
        ...obj,
        metadata: { ...obj.metadata, resourceVersion: rv, managedFields: [] },
      } as KubeObject;
      stored.metadata.managedFields = [
        { manager: opts.fieldManager, operation: 'Apply', fieldsV1: fieldsOf(obj) },
      ];
      (caches.secrets as MapCache).put(stored);
      expectations.observe(`v1 Secret ${NS}/${obj.metadata.name}`, stored);
      return stored as T;
    }
    const sk = caches.signingkeys.get(NS, obj.metadata.name ?? '')!;
    const stored = {
      ...sk,
      metadata: { ...sk.metadata, resourceVersion: rv },
      status: obj.status,
    } as SigningKeyObject;
    (caches.signingkeys as MapCache<SigningKeyObject>).put(stored);
    expectations.observe(`SigningKey ${NS}/agents`, stored);
    return stored as unknown as T;
  }
}

function world(
  spec: SigningKeySpec = { algorithm: 'ed25519' },
  annotations: Record<string, string> = {},
) {
  const clock = new FakeClock();
  const caches = {
    signingkeys: new MapCache<SigningKeyObject>(),
    secrets: new MapCache(),
    fractallbas: new MapCache(),
    deployments: new MapCache(),
  };
  caches.signingkeys.put({
    apiVersion: API_VERSION,
    kind: SIGNINGKEY.kind,
    metadata: {
      name: 'agents',
      namespace: NS,
      uid: 'sk-uid',
      generation: 1,
      resourceVersion: '1',
      annotations,
    },
    spec,
  });
  const events: string[] = [];
  let minted = 0;
  const deps: SigningKeyDeps = {
    api: undefined as unknown as SigningKeyDeps['api'],
    caches,
    expectations: new WriteExpectations(15_000, clock),
    events: { record: async (_obj, type, reason) => void events.push(`${type} ${reason}`) },
    clock,
    fieldManager: 'flk-operator',
    mint: (algorithm) => testKey(++minted, algorithm),
  };
  const api = new FakeApi(() => deps);
  deps.api = api;
  return {
    deps,
    api,
    caches,
    events,
    clock,
    minted: () => minted,
    sk: () => caches.signingkeys.get(NS, 'agents')!,
  };
}

describe('reconcileSigningKey', () => {
  it('writes the signer Secret, then the verifier Secret, then status; a settled key writes nothing', async () => {
    const w = world();
    await reconcileSigningKey(req, ctx, w.deps);
    expect(w.api.calls).toEqual([
      'get Secret agents-signer',
      'apply Secret agents-signer',
      'apply Secret agents-verifier',
      'apply SigningKey/status agents',
    ]);
    expect(w.events).toEqual(['Normal KeyPending']);

    w.api.calls = [];
    await reconcileSigningKey(req, ctx, w.deps); // no consumers: promote
    expect(w.api.calls).toEqual([
      'apply Secret agents-signer',
      'apply Secret agents-verifier',
      'apply SigningKey/status agents',
    ]);
    expect(w.sk().status?.activeKeyId).toBe(testKey(1).kid);

    w.api.calls = [];
    const outcome = await reconcileSigningKey(req, ctx, w.deps);
    expect(w.api.calls).toEqual([]);
    expect(outcome.requeueAfterMs).toBe(30 * 86_400_000);
  });

  it('a failed verifier write leaves status without the new key, and the next run adopts it', async () => {
    const w = world();
    w.api.fail = (obj) =>
      obj.metadata.name === 'agents-verifier'
        ? new KubeApiError(422, 'denied by policy block-verifier')
        : undefined;

    await expect(reconcileSigningKey(req, ctx, w.deps)).rejects.toThrow('denied by policy');
    expect(w.sk().status?.keys).toBeUndefined();
    const degraded = w.sk().status?.conditions?.find((c) => c.type === 'Degraded');
    expect(degraded).toMatchObject({ status: 'True', reason: REASON.writeFailed });
    expect(degraded?.message).toContain(
      'writing Secret agents-verifier failed: denied by policy block-verifier',
    );

    w.api.fail = undefined;
    await reconcileSigningKey(req, ctx, w.deps);
    expect(w.minted()).toBe(1);
    expect(w.sk().status?.keys).toEqual([
      expect.objectContaining({ kid: testKey(1).kid, state: 'Pending' }),
    ]);
    expect(w.events).toContain('Normal KeyAdopted');
  });

  it('does not mint while the signer Secret has a write the cache has not shown', async () => {
    const w = world();
    w.api.get = async () =>
      ({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'agents-signer', resourceVersion: '7' },
      }) as never;
    const outcome = await reconcileSigningKey(req, ctx, w.deps);
    expect(w.api.calls).toEqual([]);
    expect(outcome.requeueAfterMs).toBeGreaterThan(0);
  });

  it('waits while its own last write is not in the cache yet', async () => {
    const w = world();
    w.deps.expectations.expectVersion(`v1 Secret ${NS}/agents-verifier`, '999');
    const outcome = await reconcileSigningKey(req, ctx, w.deps);
    expect(w.api.calls).toEqual([]);
    expect(outcome.requeueAfterMs).toBe(15_000);
  });

  it('never overwrites a Secret of that name it does not control', async () => {
    const w = world();
    w.caches.secrets.put({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'agents-verifier', namespace: NS, resourceVersion: '5' },
    });
    await expect(reconcileSigningKey(req, ctx, w.deps)).rejects.toBeInstanceOf(TerminalError);
    expect(w.api.calls).toEqual(['apply SigningKey/status agents']);
    expect(w.sk().status?.conditions?.find((c) => c.type === 'Degraded')?.message).toContain(
      'Secret agents-verifier exists and is not controlled by this SigningKey',
    );
  });

  it('when paused, only says so in status', async () => {
    const w = world({ algorithm: 'ed25519' }, { 'flk.fractal-lba.io/paused': 'true' });
    await reconcileSigningKey(req, ctx, w.deps);
    expect(w.api.calls).toEqual(['apply SigningKey/status agents']);
    expect(w.sk().status?.conditions).toEqual([
      expect.objectContaining({ type: 'Progressing', reason: REASON.paused }),
    ]);
  });

  it('refuses an invalid spec with every error, terminal, and touches no Secret', async () => {
    const w = world({ algorithm: 'ed25519', rotationInterval: '20s', overlap: '20s' });
    await expect(reconcileSigningKey(req, ctx, w.deps)).rejects.toBeInstanceOf(TerminalError);
    expect(w.api.calls).toEqual(['apply SigningKey/status agents']);
    const ready = w.sk().status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: REASON.invalidSpec });
    expect(ready?.message).toContain(
      'spec.overlap: spec.overlap must be shorter than spec.rotationInterval',
    );
    expect(w.events).toEqual(['Warning InvalidSpec']);
  });
});
