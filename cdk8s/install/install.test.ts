import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { OPERATOR_POD_LABELS } from '../../operator/api/constants.ts';
import { CHILD_KINDS } from '../../operator/fractallba/children.ts';
import { knownResource } from '../../operator/kube/resources.ts';
import { groupOf } from '../../operator/kube/types.ts';
import type { KubeManifest } from '../types.ts';
import { crdFilePaths, renderInstall } from './chart.ts';
import { CRD_LABEL } from './names.ts';
import {
  InstallOptionsError,
  defaultOptions,
  parseInstallArgs,
  type InstallOptions,
} from './options.ts';
import { WATCHED_NAMESPACE_RULES, type PolicyRule } from './rbac-rules.ts';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const render = (o: Partial<InstallOptions> = {}) => renderInstall({ ...defaultOptions(), ...o });
const find = (objects: KubeManifest[], kind: string, name?: string) =>
  objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name)) as
    Any | undefined;

function allows(
  rules: readonly PolicyRule[],
  group: string,
  resource: string,
  verb: string,
): boolean {
  return rules.some(
    (r) =>
      r.apiGroups.includes(group) &&
      r.resources.includes(resource) &&
      r.verbs.includes(verb) &&
      !r.resourceNames,
  );
}

describe('the default install', () => {
  const { install, crds, operator } = render();

  it('holds, in apply order, the namespace, CRDs, identity, RBAC, Service, Deployment and PDB', () => {
    expect(install.map((o) => o.kind)).toEqual([
      'Namespace',
      'CustomResourceDefinition',
      'CustomResourceDefinition',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRole',
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
      'Service',
      'Deployment',
      'PodDisruptionBudget',
    ]);
    expect(crds).toHaveLength(2);
    expect(operator).toHaveLength(install.length - 2);
  });

  it('puts every namespaced object in flk-system and no cluster-scoped one in a namespace', () => {
    for (const o of install) {
      const clusterScoped = [
        'Namespace',
        'CustomResourceDefinition',
        'ClusterRole',
        'ClusterRoleBinding',
      ].includes(o.kind);
      expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe(
        clusterScoped ? undefined : 'flk-system',
      );
    }
  });

  it('runs two leader-elected replicas with health on 0.0.0.0:8081, probes on /healthz and /readyz', () => {
    const d = find(install, 'Deployment')!;
    const c = d.spec.template.spec.containers[0];

    expect(d.spec.replicas).toBe(2);
    expect(c.image).toBe(`ghcr.io/fractal-lba/flk-operator:${defaultOptions().version}`);
    expect(c.args).toEqual([
      '--leader-elect=true',
      '--lease-name=flk-operator',
      '--health-addr=0.0.0.0:8081',
      '--log-level=info',
    ]);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 8081 });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 8081 });
    expect(c.env.map((e: Any) => e.name)).toEqual(['POD_NAME', 'POD_NAMESPACE']);
    expect(c.resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { memory: '512Mi' },
    });
  });

  it('meets the restricted Pod Security profile, and the namespace enforces it', () => {
    const pod = find(install, 'Deployment')!.spec.template.spec;
    const c = pod.containers[0];

    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(find(install, 'Namespace')!.metadata.labels['pod-security.kubernetes.io/enforce']).toBe(
      'restricted',
    );
  });

  it('labels its pods the way the backend NetworkPolicy recognises the operator', () => {
    const labels = find(install, 'Deployment')!.spec.template.metadata.labels;
    expect(labels).toMatchObject(OPERATOR_POD_LABELS);
    expect(find(install, 'Service')!.spec.selector).toMatchObject(OPERATOR_POD_LABELS);
  });

  it('embeds the CRDs of crds/ unchanged but for the CRD label', () => {
    const files = crdFilePaths().flatMap((f) =>
      parseAllDocuments(readFileSync(f, 'utf8')).map((d) => d.toJS() as Any),
    );
    for (const file of files) {
      const embedded = crds.find((c) => c.metadata.name === file.metadata.name) as Any;
      const { [CRD_LABEL]: label, ...labels } = embedded.metadata.labels;
      expect(label).toBe('true');
      expect({ ...embedded, metadata: { ...embedded.metadata, labels } }).toEqual(file);
    }
  });

  it('renders the same bytes every time', () => {
    expect(JSON.stringify(render())).toBe(JSON.stringify(render()));
  });
});

describe('the operator ClusterRole', () => {
  const role = find(render().install, 'ClusterRole', 'flk-operator')!;

  it.each(CHILD_KINDS.map((gvk) => [gvk.kind, gvk] as const))(
    'lets the operator watch, apply and prune every child kind: %s',
    (_kind, gvk) => {
      const plural = knownResource(gvk)!.plural;
      for (const verb of ['get', 'list', 'watch', 'create', 'patch', 'delete']) {
        expect(allows(role.rules, groupOf(gvk.apiVersion), plural, verb), `${verb} ${plural}`).toBe(
          true,
        );
      }
    },
  );

  it('grants nothing on the custom resources beyond what the controllers write: status, finalizers', () => {
    for (const verb of ['create', 'update', 'delete', 'get']) {
      expect(allows(role.rules, 'flk.fractal-lba.io', 'fractallbas', verb), verb).toBe(false);
      expect(allows(role.rules, 'flk.fractal-lba.io', 'signingkeys', verb), verb).toBe(false);
    }
    expect(allows(role.rules, 'flk.fractal-lba.io', 'signingkeys', 'patch')).toBe(false);
  });

  it('has no wildcard and no verb that hands out power (escalate, bind, impersonate)', () => {
    for (const rule of role.rules as PolicyRule[]) {
      expect([...rule.apiGroups, ...rule.resources, ...rule.verbs]).not.toContain('*');
      for (const verb of ['escalate', 'bind', 'impersonate', 'deletecollection'])
        expect(rule.verbs).not.toContain(verb);
    }
    expect(role.rules).toEqual(WATCHED_NAMESPACE_RULES);
  });
});

describe('limited to namespaces (--namespaces a,b)', () => {
  const { install } = render({ watchNamespaces: ['team-a', 'team-b'] });

  it('has a Role and RoleBinding in each, and no ClusterRole or ClusterRoleBinding for the operator', () => {
    expect(find(install, 'ClusterRole', 'flk-operator')).toBeUndefined();
    expect(find(install, 'ClusterRoleBinding')).toBeUndefined();
    for (const ns of ['team-a', 'team-b']) {
      const role = install.find((o) => o.kind === 'Role' && o.metadata.namespace === ns) as Any;
      const binding = install.find(
        (o) => o.kind === 'RoleBinding' && o.metadata.namespace === ns,
      ) as Any;
      expect(role.rules).toEqual(WATCHED_NAMESPACE_RULES);
      expect(binding.subjects).toEqual([
        { kind: 'ServiceAccount', name: 'flk-operator', namespace: 'flk-system' },
      ]);
    }
  });

  it('tells the operator which namespaces to watch', () => {
    expect(find(install, 'Deployment')!.spec.template.spec.containers[0].args).toContain(
      '--namespaces=team-a,team-b',
    );
  });
});

describe('options', () => {
  it('renders a ServiceMonitor for the metrics Service on request', () => {
    const sm = find(render({ serviceMonitor: true }).install, 'ServiceMonitor')!;
    expect(sm.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '30s' }]);
    expect(find(render().install, 'ServiceMonitor')).toBeUndefined();
  });

  it('parses the command line', () => {
    const { options } = parseInstallArgs([
      '--image',
      'flk-operator:ci',
      '--image-pull-policy',
      'Never',
      '--namespaces',
      'a, b',
      '--replicas',
      '3',
    ]);
    expect(options).toMatchObject({
      image: 'flk-operator:ci',
      imagePullPolicy: 'Never',
      watchNamespaces: ['a', 'b'],
      replicas: 3,
    });
  });

  it('names every bad flag at once', () => {
    let error: unknown;
    try {
      parseInstallArgs([
        '--namespace',
        'Bad_NS',
        '--replicas',
        '0',
        '--image-pull-policy',
        'Sometimes',
      ]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InstallOptionsError);
    expect((error as Error).message.split('\n')).toEqual([
      expect.stringContaining('--namespace'),
      expect.stringContaining('--image-pull-policy'),
      expect.stringContaining('--replicas'),
    ]);
  });

  it('refuses an unknown flag, listing the known ones', () => {
    expect(() => parseInstallArgs(['--nmespace', 'x'])).toThrow(/--nmespace[\s\S]*--namespace NS/);
  });
});
