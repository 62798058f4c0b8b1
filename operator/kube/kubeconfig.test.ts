import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { KubeConfigError, loadKubeConfig } from './kubeconfig.ts';

const config = `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: 'https://127.0.0.1:6443' } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`;

describe('loadKubeConfig', () => {
  it('loads the file named by KUBECONFIG', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'flk-kc-'));
    writeFileSync(path.join(dir, 'config'), config);

    const kc = loadKubeConfig({ env: { KUBECONFIG: path.join(dir, 'config') } });

    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
  });

  it('names the missing file', () => {
    expect(() => loadKubeConfig({ env: { KUBECONFIG: '/nonexistent/kubeconfig' } })).toThrow(
      'KUBECONFIG names a file that does not exist: /nonexistent/kubeconfig',
    );
  });

  it('refuses to guess a cluster when there is neither KUBECONFIG nor a service account', () => {
    expect(() => loadKubeConfig({ env: {} })).toThrow(KubeConfigError);
    expect(() => loadKubeConfig({ env: {} })).toThrow(
      'KUBECONFIG is not set and the process is not running in a cluster',
    );
  });

  it('says so when it seems to run in a pod that has no token mounted', () => {
    expect(() =>
      loadKubeConfig({
        env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' },
        serviceAccountDir: '/nonexistent',
      }),
    ).toThrow('no service account token is mounted at /nonexistent');
  });
});
