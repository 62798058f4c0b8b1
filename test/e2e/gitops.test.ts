/**
 * FractalLBAs and SigningKeys from Git, the way Argo CD applies them (server-side apply under its
 * own field manager, with its tracking label and annotation), on a real API server with the
 * operator as a child process: `kubectl wait --for=condition=Ready` returns for both; applying
 * the same manifests again changes nothing; the operator owns no field outside `status`; the
 * children carry none of Argo CD's tracking metadata; and Argo CD's health check (the shipped
 * Lua, run by lua5.1) reads the live objects as Healthy, and as Suspended while paused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  ANNOTATIONS,
  API_VERSION,
  FIELD_MANAGER,
  FRACTALLBA,
  SIGNINGKEY,
} from '../../operator/api/constants.ts';
import type { KubeClient } from '../../operator/kube/client.ts';
import type { KubeObject } from '../../operator/kube/types.ts';
import { runHealthCheck } from '../../crds/argocd/health-runner.ts';
import { createNamespace, installCrds, testClient } from './helpers/cluster.ts';
import { walVolumeFor } from './helpers/fixtures.ts';
import { listChildren, waitForCondition } from './helpers/flk.ts';
import { OperatorProcess } from './helpers/operator-process.ts';
import { kubectl } from './install-harness.ts';

type Live = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

/** Argo CD's field manager for server-side apply. */
const GITOPS_MANAGER = 'argocd-controller';
const APP = 'flk-ingest';

let client: KubeClient;
let ns: Awaited<ReturnType<typeof createNamespace>>;
let operator: OperatorProcess;
const cleanups: Array<() => Promise<void>> = [];

function fromGit(
  kind: string,
  name: string,
  spec: Record<string, unknown>,
  annotations: Record<string, string> = {},
): KubeObject {
  const group = API_VERSION.split('/')[0];
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: {
      name,
      namespace: ns.name,
      labels: { 'app.kubernetes.io/instance': APP, team: 'ingest' },
      annotations: {
        'argocd.argoproj.io/tracking-id': `${APP}:${group}/${kind}:${ns.name}/${name}`,
        ...annotations,
      },
    },
    spec,
  };
}

const signingKey = () =>
  fromGit(SIGNINGKEY.kind, 'agents', {
    algorithm: 'ed25519',
    rotationInterval: '30d',
    overlap: '14d',
  });
const backend = (annotations?: Record<string, string>) =>
  fromGit(
    FRACTALLBA.kind,
    'ingest',
    { replicas: 1, signing: { keyRefs: [{ name: 'agents' }] }, logLevel: 'debug' },
    annotations,
  );

/** Server-side apply as Argo CD does it; no force, so a field someone else owns is a conflict. */
function gitopsApply(obj: KubeObject, dryRun = false): Promise<Live> {
  return client.request<Live>({
    method: 'PATCH',
    path: `/apis/${API_VERSION}/namespaces/${ns.name}/${obj.kind === FRACTALLBA.kind ? FRACTALLBA.plural : SIGNINGKEY.plural}/${obj.metadata.name}`,
    body: obj,
    contentType: 'application/apply-patch+yaml',
    query: { fieldManager: GITOPS_MANAGER, dryRun: dryRun ? 'All' : undefined },
  });
}

function get(kind: string, name: string): Promise<Live | undefined> {
  return client.get<Live>({ apiVersion: API_VERSION, kind, namespace: ns.name, name });
}

/** Top-level field sets (`f:spec`, `f:status`, ...) each manager owns, by manager and subresource. */
function ownership(
  obj: KubeObject,
): Array<{ manager: string; subresource: string; fields: string[] }> {
  return (obj.metadata.managedFields ?? []).map((m) => ({
    manager: m.manager ?? '',
    subresource: m.subresource ?? '',
    fields: Object.keys((m.fieldsV1 ?? {}) as Record<string, unknown>),
  }));
}

beforeAll(async () => {
  client = testClient();
  await installCrds(client);
  ns = await createNamespace(client, 'flk-e2e-install-gitops');
  cleanups.push(await walVolumeFor(client, ns.name, 'ingest'));
  operator = await OperatorProcess.start({ name: 'gitops', namespaces: [ns.name] });
  await operator.waitReady();

  await gitopsApply(signingKey());
  await gitopsApply(backend());
});

afterAll(async () => {
  await operator?.stop();
  for (const cleanup of cleanups) await cleanup().catch(() => {});
  await ns?.remove();
});

describe('synced from Git', () => {
  it('kubectl wait --for=condition=Ready returns for the SigningKey and the FractalLBA', () => {
    const wait = (resource: string) =>
      kubectl(['wait', '--for=condition=Ready', resource, '-n', ns.name, '--timeout=120s']);

    expect(wait('signingkey/agents')).toContain('condition met');
    expect(wait('fractallba/ingest')).toContain('condition met');
  });

  it.each([
    [SIGNINGKEY.kind, 'agents', signingKey],
    [FRACTALLBA.kind, 'ingest', () => backend()],
  ] as const)(
    '%s: applying the same manifest again changes nothing and shows no diff in spec',
    async (kind, name, manifest) => {
      const before = await get(kind, name);
      const dryRun = await gitopsApply(manifest(), true);
      const applied = await gitopsApply(manifest());
      const after = await get(kind, name);

      expect(dryRun.spec).toEqual(manifest().spec);
      expect(dryRun.metadata.resourceVersion).toBe(before!.metadata.resourceVersion);
      expect(applied.metadata.resourceVersion).toBe(before!.metadata.resourceVersion);
      expect(after!.spec).toEqual(manifest().spec);
      expect(after!.metadata.generation).toBe(before!.metadata.generation);
    },
  );

  it.each([
    [SIGNINGKEY.kind, 'agents'],
    [FRACTALLBA.kind, 'ingest'],
  ])(
    '%s: the operator owns status and nothing else; Argo CD owns spec and not status',
    async (kind, name) => {
      const owners = ownership((await get(kind, name))!);
      const operatorEntries = owners.filter((o) => o.manager === FIELD_MANAGER);
      const gitopsEntries = owners.filter((o) => o.manager === GITOPS_MANAGER);

      expect(operatorEntries.length).toBeGreaterThan(0);
      for (const entry of operatorEntries)
        expect(entry).toEqual({
          manager: FIELD_MANAGER,
          subresource: 'status',
          fields: ['f:status'],
        });
      expect(gitopsEntries).toHaveLength(1);
      expect(gitopsEntries[0]!.fields).toContain('f:spec');
      expect(gitopsEntries[0]!.fields).not.toContain('f:status');
    },
  );

  it('the children carry none of Argo CD tracking metadata, so Argo CD neither claims nor prunes them', async () => {
    const children = await listChildren(client, ns.name, 'ingest');

    expect(children.length).toBeGreaterThan(5);
    for (const child of children) {
      expect(
        child.metadata.labels?.['app.kubernetes.io/instance'],
        `${child.kind} ${child.metadata.name}`,
      ).toBeUndefined();
      expect(
        Object.keys(child.metadata.annotations ?? {}).filter((k) =>
          k.startsWith('argocd.argoproj.io/'),
        ),
      ).toEqual([]);
      expect(child.metadata.labels?.team).toBe('ingest');
    }
  });

  it("Argo CD's health check reads both live objects as Healthy", async () => {
    expect(runHealthCheck('SigningKey', await get(SIGNINGKEY.kind, 'agents')).status).toBe(
      'Healthy',
    );
    expect(runHealthCheck('FractalLBA', await get(FRACTALLBA.kind, 'ingest'))).toEqual({
      status: 'Healthy',
      message: expect.stringContaining('available'),
    });
  });
});

describe('paused from Git', () => {
  it('is Suspended while the paused annotation is in Git, and Healthy again without it, with no drift', async () => {
    await gitopsApply(backend({ [ANNOTATIONS.paused]: 'true' }));
    await waitForCondition(client, ns.name, 'ingest', {
      type: 'Progressing',
      status: 'False',
      reason: 'Paused',
    });
    expect(runHealthCheck('FractalLBA', await get(FRACTALLBA.kind, 'ingest')).status).toBe(
      'Suspended',
    );

    await gitopsApply(backend());
    await waitForCondition(client, ns.name, 'ingest', { type: 'Ready', status: 'True' });
    const live = (await get(FRACTALLBA.kind, 'ingest'))!;
    expect(runHealthCheck('FractalLBA', live).status).toBe('Healthy');
    expect(live.spec).toEqual(backend().spec);
    expect(
      ownership(live)
        .filter((o) => o.manager === FIELD_MANAGER)
        .every((o) => o.subresource === 'status'),
    ).toBe(true);
  });
});
