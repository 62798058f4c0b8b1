/**
 * An in-memory stand-in for the API server and the informer caches, for reconcile tests. Applies
 * merge into stored objects and record a managedFields entry like the server's (lists of named
 * objects keyed by name, other lists atomic), so the no-op check runs against realistic input.
 * `lagging` holds writes back from the caches, as a watch that has not delivered yet would.
 */
import type { KubeApiError } from '../kube/errors.ts';
import { KubeApiError as ApiError } from '../kube/errors.ts';
import type { ApplyOptions, DeleteOptions } from '../kube/client.ts';
import type { FieldsV1, KubeObject, ObjectRef } from '../kube/types.ts';
import { groupOf } from '../kube/types.ts';
import type { ApiWriter, FractalLBACaches, ObjectCache } from './deps.ts';
import { CHILD_KINDS, kindKey } from './children.ts';
import type { SecretSummary } from './secrets.ts';

type Call =
  | { verb: 'apply'; kind: string; name: string; subresource?: string; body: KubeObject }
  | { verb: 'delete'; kind: string; name: string }
  | { verb: 'mergePatch'; kind: string; name: string; body: unknown };

export class MapCache<T extends KubeObject> implements ObjectCache<T> {
  readonly objects = new Map<string, T>();

  get(namespace: string, name: string): T | undefined {
    return this.objects.get(`${namespace}/${name}`);
  }

  list(namespace?: string): T[] {
    return [...this.objects.values()].filter(
      (o) => namespace === undefined || o.metadata.namespace === namespace,
    );
  }

  put(obj: T): void {
    this.objects.set(`${obj.metadata.namespace}/${obj.metadata.name}`, obj);
  }

  remove(namespace: string, name: string): void {
    this.objects.delete(`${namespace}/${name}`);
  }
}

export class FakeCluster implements ApiWriter {
  readonly calls: Call[] = [];
  /** While true, writes reach the store but not the caches. */
  lagging = false;
  /** Called for every object the caches receive, or lose (`undefined`), like a watch handler. */
  onEvent: (obj: KubeObject, gone: boolean) => void = () => {};
  /** Makes the next apply of this kind fail. */
  failApply: { kind: string; error: KubeApiError } | undefined;

  readonly fractallbas = new MapCache<KubeObject>();
  readonly secrets = new MapCache<SecretSummary>();
  readonly children = new Map<string, MapCache<KubeObject>>(
    CHILD_KINDS.map((k) => [kindKey(k), new MapCache()]),
  );
  private readonly store = new Map<string, KubeObject>();
  private version = 100;
  private uid = 0;

  caches(): FractalLBACaches {
    return { fractallbas: this.fractallbas, secrets: this.secrets, children: this.children };
  }

  writes(): Call[] {
    return this.calls;
  }

  /** Puts an object straight into store and caches (as if someone else created it). */
  seed(obj: KubeObject): KubeObject {
    const stored = structuredClone(obj);
    stored.metadata.uid ??= `uid-${++this.uid}`;
    stored.metadata.resourceVersion = String(++this.version);
    stored.metadata.generation ??= 1;
    this.store.set(this.key(stored), stored);
    this.publish(stored);
    return stored;
  }

  /** Drops an object from the caches only, as a label-selected informer does when its labels go. */
  forget(obj: KubeObject): void {
    const cache = obj.kind === 'FractalLBA' ? this.fractallbas : this.children.get(kindKey(obj));
    cache?.remove(obj.metadata.namespace ?? '', obj.metadata.name ?? '');
    this.onEvent(obj, true);
  }

  /** Lets the caches catch up with the store. */
  sync(): void {
    for (const obj of this.store.values()) this.publish(obj);
    for (const cache of [this.fractallbas, ...this.children.values()]) {
      for (const obj of cache.list()) {
        if (this.store.has(this.key(obj))) continue;
        cache.remove(obj.metadata.namespace ?? '', obj.metadata.name ?? '');
        this.onEvent(obj, true);
      }
    }
  }

  /** The stored object (what the API server has, whatever the caches say). */
  stored(
    apiVersion: string,
    kind: string,
    namespace: string,
    name: string,
  ): KubeObject | undefined {
    return this.store.get(`${groupOf(apiVersion)}/${kind}/${namespace}/${name}`);
  }

  /** Edits a stored object as someone else would, taking the fields it touches from us. */
  handEdit(
    obj: KubeObject,
    mutate: (o: KubeObject) => void,
    stolen: (fields: FieldsV1) => void,
  ): void {
    const stored = this.store.get(this.key(obj));
    if (!stored) throw new Error('no such object');
    mutate(stored);
    const entry = stored.metadata.managedFields?.find((m) => m.operation === 'Apply');
    if (entry?.fieldsV1) stolen(entry.fieldsV1);
    stored.metadata.resourceVersion = String(++this.version);
    this.publish(stored);
  }

  async apply<T extends KubeObject>(obj: KubeObject, opts: ApplyOptions): Promise<T> {
    this.calls.push({
      verb: 'apply',
      kind: obj.kind,
      name: obj.metadata.name ?? '',
      subresource: opts.subresource,
      body: structuredClone(obj),
    });
    if (this.failApply?.kind === obj.kind) {
      const error = this.failApply.error;
      this.failApply = undefined;
      throw error;
    }

    const existing = this.store.get(this.key(obj));
    if (opts.subresource === 'status') {
      if (!existing) throw new ApiError(404, 'not found', 'NotFound');
      const updated = { ...structuredClone(existing), status: structuredClone(obj.status) };
      updated.metadata.resourceVersion = String(++this.version);
      return this.commit(updated) as T;
    }

    const base = existing ? structuredClone(existing) : undefined;
    const time = new Date(Date.UTC(2030, 0, 1) + this.version * 1000)
      .toISOString()
      .replace('.000', '');
    const merged: KubeObject = {
      ...structuredClone(obj),
      ...(base?.status !== undefined && { status: base.status }),
      metadata: {
        ...structuredClone(obj.metadata),
        uid: base?.metadata.uid ?? `uid-${++this.uid}`,
        creationTimestamp: base?.metadata.creationTimestamp ?? time,
        generation: (base?.metadata.generation ?? 0) + 1,
        resourceVersion: String(++this.version),
        managedFields: [
          ...(base?.metadata.managedFields ?? []).filter(
            (m) => m.manager !== opts.fieldManager || m.operation !== 'Apply',
          ),
          { manager: opts.fieldManager, operation: 'Apply', time, fieldsV1: fieldsOf(obj) },
        ],
      },
    };
    return this.commit(merged) as T;
  }

  /** Reads the store (what the API server has), not the caches; not counted in `calls`. */
  async get<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    const key = `${groupOf(ref.apiVersion)}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
    const stored = this.store.get(key);
    return stored ? (structuredClone(stored) as T) : undefined;
  }

  async delete(ref: ObjectRef, _opts: DeleteOptions = {}): Promise<boolean> {
    this.calls.push({ verb: 'delete', kind: ref.kind, name: ref.name });
    const key = `${groupOf(ref.apiVersion)}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
    const existed = this.store.delete(key);
    if (!this.lagging) this.sync();
    return existed;
  }

  async mergePatch<T extends KubeObject>(ref: ObjectRef, patch: unknown): Promise<T> {
    this.calls.push({
      verb: 'mergePatch',
      kind: ref.kind,
      name: ref.name,
      body: structuredClone(patch),
    });
    const key = `${groupOf(ref.apiVersion)}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
    const existing = this.store.get(key);
    if (!existing) throw new ApiError(404, 'not found', 'NotFound');
    const meta = (patch as { metadata?: Record<string, unknown> }).metadata ?? {};
    if (
      meta.resourceVersion !== undefined &&
      meta.resourceVersion !== existing.metadata.resourceVersion
    ) {
      throw new ApiError(409, 'the object has been modified', 'Conflict');
    }
    const updated = structuredClone(existing);
    if (meta.finalizers !== undefined) updated.metadata.finalizers = meta.finalizers as string[];
    if (meta.ownerReferences !== undefined)
      updated.metadata.ownerReferences = meta.ownerReferences as never;
    updated.metadata.resourceVersion = String(++this.version);
    if (updated.metadata.deletionTimestamp && (updated.metadata.finalizers ?? []).length === 0) {
      this.store.delete(key);
      if (!this.lagging) this.sync();
      return updated as T;
    }
    return this.commit(updated) as T;
  }

  private commit(obj: KubeObject): KubeObject {
    this.store.set(this.key(obj), obj);
    if (!this.lagging) this.publish(obj);
    return structuredClone(obj);
  }

  private publish(obj: KubeObject): void {
    const copy = structuredClone(obj);
    const cache = obj.kind === 'FractalLBA' ? this.fractallbas : this.children.get(kindKey(obj));
    if (
      !cache ||
      cache.get(copy.metadata.namespace ?? '', copy.metadata.name ?? '')?.metadata
        .resourceVersion === copy.metadata.resourceVersion
    )
      return;
    cache.put(copy);
    this.onEvent(copy, false);
  }

  private key(obj: KubeObject): string {
    return `${groupOf(obj.apiVersion)}/${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
  }
}

/** A field set as the server would record it for `obj`, under the fake's list rules. */
export function fieldsOf(value: unknown, top = true): FieldsV1 {
  if (Array.isArray(value)) {
    const named =
      value.length > 0 &&
      value.every(
        (v) =>
          typeof v === 'object' && v !== null && typeof (v as { name?: unknown }).name === 'string',
      );
    if (!named) return {};
    return Object.fromEntries(
      value.map((v) => [
        `k:${JSON.stringify({ name: (v as { name: string }).name })}`,
        { '.': {}, ...fieldsOf(v, false) },
      ]),
    );
  }
  if (typeof value !== 'object' || value === null) return {};
  const out: FieldsV1 = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || v === null || (top && (k === 'apiVersion' || k === 'kind'))) continue;
    out[`f:${k}`] = fieldsOf(v, false);
  }
  return out;
}
