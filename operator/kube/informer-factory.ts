import { Watch, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';

import type { KubeClient } from './client.ts';
import type { Clock } from './clock.ts';
import { Informer, type InformerEvent, type InformerHandler } from './informer.ts';
import { resourcePath } from './resources.ts';
import type { GroupVersionKind, KubeObject } from './types.ts';

export interface CacheOptions<T extends KubeObject> {
  /** Namespaces to watch; empty means every namespace, with one cluster-wide watch. */
  namespaces: readonly string[];
  labelSelector?: string;
  transform?: (obj: T) => T;
  logger?: Logger;
  clock?: Clock;
  /** Told of each list or watch failure of any of the kind's informers (see `Informer`). */
  onFailure?: (err: unknown) => void;
}

/**
 * One kind of object across the watched namespaces: a single cluster-wide informer, or one
 * informer per namespace when the operator is limited to some (so it needs no cluster-wide list
 * permission). Reads go to the informer of the object's namespace.
 */
export class KindCache<T extends KubeObject> {
  private readonly byNamespace = new Map<string, Informer<T>>();

  constructor(
    readonly gvk: GroupVersionKind,
    informers: ReadonlyMap<string, Informer<T>>,
  ) {
    for (const [ns, informer] of informers) this.byNamespace.set(ns, informer);
  }

  on(event: InformerEvent, handler: InformerHandler<T>): void {
    for (const informer of this.byNamespace.values()) informer.on(event, handler);
  }

  start(): void {
    for (const informer of this.byNamespace.values()) informer.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.byNamespace.values()].map((i) => i.stop()));
  }

  hasSynced(): boolean {
    return [...this.byNamespace.values()].every((i) => i.hasSynced());
  }

  async waitForSync(): Promise<void> {
    await Promise.all([...this.byNamespace.values()].map((i) => i.waitForSync()));
  }

  get(namespace: string, name: string): T | undefined {
    return this.informerFor(namespace)?.get(name, namespace);
  }

  list(namespace?: string): T[] {
    if (namespace !== undefined) return [...(this.informerFor(namespace)?.list(namespace) ?? [])];
    return [...this.byNamespace.values()].flatMap((i) => [...i.list()]);
  }

  private informerFor(namespace: string): Informer<T> | undefined {
    return this.byNamespace.get('') ?? this.byNamespace.get(namespace);
  }
}

/** Builds {@link KindCache}s that list through the JSON client and watch through client-node. */
export class CacheFactory {
  constructor(
    private readonly kc: KubeConfig,
    private readonly client: KubeClient,
  ) {}

  async cacheFor<T extends KubeObject>(
    gvk: GroupVersionKind,
    options: CacheOptions<T>,
  ): Promise<KindCache<T>> {
    const info = await this.client.resourceFor(gvk);
    const namespaces = options.namespaces.length > 0 && info.namespaced ? options.namespaces : [''];
    const watch = new Watch(this.kc);

    const informers = new Map<string, Informer<T>>();
    for (const ns of namespaces) {
      const where = ns ? `in ${ns}` : 'in all namespaces';
      informers.set(
        ns,
        new Informer<T>({
          name: `${gvk.apiVersion} ${gvk.kind} ${where}`,
          path: resourcePath(gvk.apiVersion, info, { namespace: ns || undefined }),
          list: () =>
            this.client.list<T>(gvk, {
              namespace: ns || undefined,
              labelSelector: options.labelSelector,
            }),
          watch,
          labelSelector: options.labelSelector,
          transform: options.transform,
          logger: options.logger,
          clock: options.clock,
          onFailure: options.onFailure,
        }),
      );
    }
    return new KindCache<T>(gvk, informers);
  }
}
