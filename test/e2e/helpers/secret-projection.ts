/**
 * Kubelet's part for backends that run as local processes: it watches one Secret and, on every
 * new version, projects it into a folder the way kubelet projects a Secret volume
 * (`projectSecret`: a timestamped folder per version, `..data` swapped by rename, one top-level
 * symlink per key), so a reader sees the old version or the new one, never a mix. A deleted
 * Secret leaves the last version in place, as kubelet does for a running pod.
 */
import { mkdir } from 'node:fs/promises';

import { KubeConfig, Watch } from '@kubernetes/client-node';

import type { KubeClient } from '../../../operator/kube/client.ts';
import { Informer } from '../../../operator/kube/informer.ts';
import type { KubeObject } from '../../../operator/kube/types.ts';
import { projectSecret } from '../../harness/secret-projection.ts';
import { kubeconfigPath } from './cluster.ts';
import { waitFor } from './wait.ts';

type SecretObject = KubeObject & { data?: Record<string, string> };

export interface ProjectionOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  /** A label selector that matches the Secret (narrows the watch); unset: every Secret of the namespace. */
  labelSelector?: string;
  dir: string;
}

export class SecretProjection {
  /** Data keys of the version now behind `..data`. */
  keys: string[] = [];
  /** How many versions were projected. */
  versions = 0;
  private lastVersion: string | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly informer: Informer<SecretObject>;

  private constructor(private readonly o: ProjectionOptions) {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath());
    this.informer = new Informer<SecretObject>({
      name: `projection of Secret ${o.namespace}/${o.name}`,
      path: `/api/v1/namespaces/${o.namespace}/secrets`,
      list: () =>
        o.client.list<SecretObject>(
          { apiVersion: 'v1', kind: 'Secret' },
          { namespace: o.namespace, labelSelector: o.labelSelector },
        ),
      watch: new Watch(kc),
      labelSelector: o.labelSelector,
    });
    const onChange = (secret: SecretObject) => {
      if (secret.metadata.name !== o.name) return;
      this.chain = this.chain.then(() => this.project(secret)).catch(() => undefined);
    };
    this.informer.on('add', onChange);
    this.informer.on('update', onChange);
  }

  static async start(o: ProjectionOptions): Promise<SecretProjection> {
    await mkdir(o.dir, { recursive: true });
    const projection = new SecretProjection(o);
    projection.informer.start();
    await projection.informer.waitForSync();
    return projection;
  }

  async stop(): Promise<void> {
    await this.informer.stop();
    await this.chain;
  }

  /** Waits until the projected version satisfies `check` (given its data keys). */
  async waitFor(
    what: string,
    check: (keys: string[]) => boolean,
    timeoutMs = 30_000,
  ): Promise<void> {
    await waitFor(`projected ${this.o.name} ${what}`, timeoutMs, () => check(this.keys), 100);
  }

  private async project(secret: SecretObject): Promise<void> {
    if (secret.metadata.resourceVersion === this.lastVersion) return;
    projectSecret(this.o.dir, secret.data ?? {});
    this.keys = Object.keys(secret.data ?? {}).sort();
    this.versions++;
    this.lastVersion = secret.metadata.resourceVersion;
  }
}
