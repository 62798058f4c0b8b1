import { existsSync } from 'node:fs';

import { KubeConfig } from '@kubernetes/client-node';

import { KubeClient, type KubeClientOptions } from './client.ts';

/** Why no cluster could be configured; the message names what to set. */
export class KubeConfigError extends Error {
  override readonly name = 'KubeConfigError';
}

export interface LoadKubeConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Where the service account token is mounted in a pod (overridable for tests). */
  serviceAccountDir?: string;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The cluster to talk to: the file(s) in `$KUBECONFIG` when it is set, else the pod's service
 * account when running in a cluster. Deliberately no fallback to `~/.kube/config` or to
 * `localhost:8080`: an operator started by mistake must not reconcile whatever cluster happens to
 * be the developer's current context.
 */
export function loadKubeConfig(options: LoadKubeConfigOptions = {}): KubeConfig {
  const env = options.env ?? process.env;
  const kc = new KubeConfig();

  if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(':').filter(Boolean);
    const missing = files.filter((file) => !existsSync(file));
    if (missing.length > 0) {
      throw new KubeConfigError(
        `KUBECONFIG names a file that does not exist: ${missing.join(', ')}`,
      );
    }
    const [first, ...rest] = files as [string, ...string[]];
    kc.loadFromFile(first);
    for (const file of rest) {
      const other = new KubeConfig();
      other.loadFromFile(file);
      kc.mergeConfig(other);
    }
  } else if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) {
    const dir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
    if (!existsSync(`${dir}/token`)) {
      throw new KubeConfigError(
        `KUBERNETES_SERVICE_HOST is set but no service account token is mounted at ${dir}; set KUBECONFIG`,
      );
    }
    kc.loadFromCluster();
  } else {
    throw new KubeConfigError('KUBECONFIG is not set and the process is not running in a cluster');
  }

  if (!kc.getCurrentCluster()) {
    throw new KubeConfigError('KUBECONFIG has no current context with a cluster');
  }
  return kc;
}

/** A client for the configured cluster; see {@link loadKubeConfig}. */
export function createKubeClient(options: LoadKubeConfigOptions & KubeClientOptions = {}): {
  kc: KubeConfig;
  client: KubeClient;
} {
  const kc = loadKubeConfig(options);
  return { kc, client: new KubeClient(kc, options) };
}
