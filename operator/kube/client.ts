import type { KubeConfig } from '@kubernetes/client-node';

import { KubeApiError } from './errors.ts';
import { apiPrefix, knownResource, resourcePath, type ResourceInfo } from './resources.ts';
import {
  APPLY_PATCH,
  KubeTransport,
  MERGE_PATCH,
  type KubeClientOptions,
  type RequestOptions,
} from './transport.ts';
import type { GroupVersionKind, KubeList, KubeObject, ObjectRef } from './types.ts';

export type { HttpMethod, KubeClientOptions, RequestOptions } from './transport.ts';
export { APPLY_PATCH, MERGE_PATCH } from './transport.ts';

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface ApplyOptions {
  fieldManager: string;
  force?: boolean;
  subresource?: string;
}

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  /** Delete only if the object still has this uid (it was not deleted and recreated meanwhile). */
  uid?: string;
}

/**
 * A small JSON client for the Kubernetes API: the verbs the controllers use, on paths resolved
 * from a built-in table of kinds or, once per kind, from discovery.
 *
 * Why not client-node's generic `KubernetesObjectApi`: it turns responses into typed model classes
 * (timestamps become Dates, unknown fields of known kinds are dropped), it has no subresource
 * calls (we need `status`), and it opens a new TLS connection per request. Objects here stay the
 * JSON the server sent, which the no-op check and hashing rely on, over one keep-alive agent.
 */
export class KubeClient {
  private readonly discovered = new Map<string, ResourceInfo>();
  private readonly transport: KubeTransport;

  constructor(kc: KubeConfig, options: KubeClientOptions = {}) {
    this.transport = new KubeTransport(kc, options);
  }

  get server(): string {
    return this.transport.server;
  }

  request<T>(opts: RequestOptions): Promise<T> {
    return this.transport.request<T>(opts);
  }

  /** Plural and scope of a kind, from the built-in table or, once, from discovery. */
  async resourceFor(gvk: GroupVersionKind): Promise<ResourceInfo> {
    const known = knownResource(gvk);
    if (known) return known;

    const cacheKey = `${gvk.apiVersion}/${gvk.kind}`;
    const cached = this.discovered.get(cacheKey);
    if (cached) return cached;

    const list = await this.request<{
      resources?: Array<{ name: string; kind: string; namespaced: boolean }>;
    }>({ method: 'GET', path: apiPrefix(gvk.apiVersion) });
    const found = list.resources?.find((r) => r.kind === gvk.kind && !r.name.includes('/'));
    if (!found) {
      throw new KubeApiError(
        404,
        `the server does not serve ${gvk.kind} in ${gvk.apiVersion}`,
        'NotFound',
      );
    }
    const info = { plural: found.name, namespaced: found.namespaced };
    this.discovered.set(cacheKey, info);
    return info;
  }

  /** Whether the API server serves `gvk` right now (asks discovery; for kinds added by CRDs). */
  async isServed(gvk: GroupVersionKind): Promise<boolean> {
    try {
      const list = await this.request<{ resources?: Array<{ name: string; kind: string }> }>({
        method: 'GET',
        path: apiPrefix(gvk.apiVersion),
      });
      return (list.resources ?? []).some((r) => r.kind === gvk.kind && !r.name.includes('/'));
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 404) return false;
      throw err;
    }
  }

  async pathFor(
    ref: GroupVersionKind & { namespace?: string; name?: string },
    subresource?: string,
  ) {
    const info = await this.resourceFor(ref);
    return resourcePath(ref.apiVersion, info, {
      namespace: ref.namespace,
      name: ref.name,
      subresource,
    });
  }

  /** The object, or `undefined` when it does not exist. */
  async get<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    try {
      return await this.request<T>({ method: 'GET', path: await this.pathFor(ref) });
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  async list<T extends KubeObject>(
    gvk: GroupVersionKind,
    opts: ListOptions = {},
  ): Promise<KubeList<T>> {
    const path = await this.pathFor({ ...gvk, namespace: opts.namespace });
    const list = await this.request<KubeList<T>>({
      method: 'GET',
      path,
      query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector },
    });
    // Lists leave apiVersion and kind off their items; put them back so items are whole objects.
    list.items = (list.items ?? []).map((item) => ({
      ...item,
      apiVersion: gvk.apiVersion,
      kind: gvk.kind,
    }));
    return list;
  }

  async create<T extends KubeObject>(obj: KubeObject, fieldManager?: string): Promise<T> {
    const path = await this.pathFor({ ...obj, namespace: obj.metadata.namespace });
    return this.request<T>({ method: 'POST', path, body: obj, query: { fieldManager } });
  }

  /** PUT with the object's resourceVersion: fails with 409 when someone wrote in between. */
  async replace<T extends KubeObject>(obj: KubeObject, fieldManager?: string): Promise<T> {
    const path = await this.pathFor({
      ...obj,
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
    });
    return this.request<T>({ method: 'PUT', path, body: obj, query: { fieldManager } });
  }

  /** Server-side apply of `obj` (or of a subresource of it) under `fieldManager`. */
  async apply<T extends KubeObject>(obj: KubeObject, opts: ApplyOptions): Promise<T> {
    const ref = { ...obj, namespace: obj.metadata.namespace, name: obj.metadata.name };
    return this.request<T>({
      method: 'PATCH',
      path: await this.pathFor(ref, opts.subresource),
      body: obj,
      contentType: APPLY_PATCH,
      query: { fieldManager: opts.fieldManager, force: opts.force ? 'true' : undefined },
    });
  }

  /** JSON merge patch; put `metadata.resourceVersion` in the patch to make it conditional. */
  async mergePatch<T extends KubeObject>(
    ref: ObjectRef,
    patch: unknown,
    opts: { fieldManager?: string; subresource?: string } = {},
  ): Promise<T> {
    return this.request<T>({
      method: 'PATCH',
      path: await this.pathFor(ref, opts.subresource),
      body: patch,
      contentType: MERGE_PATCH,
      query: { fieldManager: opts.fieldManager },
    });
  }

  /** Deletes the object; resolves `false` when it was already gone. */
  async delete(ref: ObjectRef, opts: DeleteOptions = {}): Promise<boolean> {
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.uid) body.preconditions = { uid: opts.uid };
    try {
      await this.request({ method: 'DELETE', path: await this.pathFor(ref), body });
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 404) return false;
      throw err;
    }
  }

  /** Closes idle keep-alive connections, so the process can exit. */
  close(): void {
    this.transport.close();
  }
}
