/**
 * Every version of a SigningKey's two Secrets, in the order the API server committed them (one
 * watch over both, so its events come in resourceVersion order), reduced to key ids. Tests check
 * the protocol's invariants on this history: no key signs before the verifier set has it, and no
 * key id appears that the rotation did not mean to mint.
 */
import { KubeConfig, Watch } from '@kubernetes/client-node';

import type { VerifierKeyFile } from '../../../pcs/keyfile.ts';
import { signerSecretName, verifierSecretName } from '../../../operator/api/constants.ts';
import type { KubeClient } from '../../../operator/kube/client.ts';
import { Informer } from '../../../operator/kube/informer.ts';
import type { KubeObject } from '../../../operator/kube/types.ts';
import {
  PENDING_DATA_KEY,
  SIGNER_DATA_KEY,
  SIGNINGKEY_LABEL,
  kidOfDataKey,
} from '../../../operator/signingkey/names.ts';
import { kubeconfigPath } from './cluster.ts';
import { waitFor } from './wait.ts';

type SecretObject = KubeObject & { data?: Record<string, string> };

export type SecretVersion =
  | { secret: 'signer'; resourceVersion: string; signing?: string; pending?: string }
  | {
      secret: 'verifier';
      resourceVersion: string;
      files: Record<string, { state?: string; notAfter?: string }>;
    };

export class KeySecretsObserver {
  readonly history: SecretVersion[] = [];
  private readonly informer: Informer<SecretObject>;

  private constructor(
    client: KubeClient,
    namespace: string,
    private readonly signingKey: string,
  ) {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath());
    const labelSelector = `${SIGNINGKEY_LABEL}=${signingKey}`;
    this.informer = new Informer<SecretObject>({
      name: `key Secrets of ${namespace}/${signingKey}`,
      path: `/api/v1/namespaces/${namespace}/secrets`,
      list: () =>
        client.list<SecretObject>(
          { apiVersion: 'v1', kind: 'Secret' },
          { namespace, labelSelector },
        ),
      watch: new Watch(kc),
      labelSelector,
    });
    this.informer.on('add', (s) => this.record(s));
    this.informer.on('update', (s) => this.record(s));
  }

  static async start(
    client: KubeClient,
    namespace: string,
    signingKey: string,
  ): Promise<KeySecretsObserver> {
    const observer = new KeySecretsObserver(client, namespace, signingKey);
    observer.informer.start();
    await observer.informer.waitForSync();
    return observer;
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }

  /** The latest version of one Secret. */
  latest<K extends SecretVersion['secret']>(
    secret: K,
  ): Extract<SecretVersion, { secret: K }> | undefined {
    return this.history.filter((v) => v.secret === secret).at(-1) as
      Extract<SecretVersion, { secret: K }> | undefined;
  }

  async waitFor<T>(
    what: string,
    check: (o: KeySecretsObserver) => T | undefined | false,
    timeoutMs = 60_000,
  ): Promise<T> {
    return waitFor(what, timeoutMs, () => check(this), 100);
  }

  /** Every key id that was ever in the signer Secret (as signer.json or pending.json). */
  mintedKids(): string[] {
    const kids = new Set<string>();
    for (const v of this.history) {
      if (v.secret !== 'signer') continue;
      if (v.signing) kids.add(v.signing);
      if (v.pending) kids.add(v.pending);
    }
    return [...kids];
  }

  /** Versions of the signer Secret whose signing key the verifier Secret did not hold at that point. */
  signedBeforeVerified(): string[] {
    const problems: string[] = [];
    let verifier: Extract<SecretVersion, { secret: 'verifier' }> | undefined;
    for (const v of this.history) {
      if (v.secret === 'verifier') verifier = v;
      else if (v.signing && !verifier?.files[v.signing]) {
        problems.push(
          `signer Secret version ${v.resourceVersion} signs with ${v.signing}, not in the verifier Secret`,
        );
      }
    }
    return problems;
  }

  private record(secret: SecretObject): void {
    const resourceVersion = secret.metadata.resourceVersion ?? '';
    if (this.history.some((v) => v.resourceVersion === resourceVersion)) return;
    const data = secret.data ?? {};
    const json = (key: string) =>
      data[key] ? JSON.parse(Buffer.from(data[key], 'base64').toString('utf8')) : undefined;

    if (secret.metadata.name === signerSecretName(this.signingKey)) {
      this.history.push({
        secret: 'signer',
        resourceVersion,
        signing: json(SIGNER_DATA_KEY)?.kid,
        pending: json(PENDING_DATA_KEY)?.kid,
      });
    } else if (secret.metadata.name === verifierSecretName(this.signingKey)) {
      const files: Record<string, { state?: string; notAfter?: string }> = {};
      for (const key of Object.keys(data)) {
        const kid = kidOfDataKey(key);
        if (!kid) continue;
        const file = json(key) as VerifierKeyFile;
        files[kid] = { state: file.state, notAfter: file.not_after };
      }
      this.history.push({ secret: 'verifier', resourceVersion, files });
    }
  }
}
