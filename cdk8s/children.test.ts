import { describe, expect, it } from 'vitest';
import { fractalLBAScope, ruleGroups } from '../alerts/rules.ts';
import { renderFractalLBA } from './render.ts';
import { FULL_SPEC, MINIMAL_SPEC, byKind, renderInput } from './testing.ts';
import type { FractalLBASpec } from '../operator/api/fractallba.ts';

const render = (spec: FractalLBASpec, extra = {}) => renderFractalLBA(renderInput(spec, extra));
const shared: FractalLBASpec = {
  ...MINIMAL_SPEC,
  dedup: { backend: 'redis', redis: { secretRef: { name: 'redis' } } },
  wal: { accessMode: 'ReadWriteMany' },
};

describe('Deployment', () => {
  const deployment = (spec: FractalLBASpec) => byKind(render(spec), 'Deployment');
  const podSpec = (spec: FractalLBASpec) => deployment(spec).spec.template.spec;

  it('has no replicas field when the HPA owns the count, and spec.replicas otherwise', () => {
    expect(deployment(FULL_SPEC).spec).not.toHaveProperty('replicas');
    expect(deployment({ ...shared, replicas: 3 }).spec.replicas).toBe(3);
  });

  it('runs under the restricted pod security profile', () => {
    const pod = podSpec(MINIMAL_SPEC);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.containers[0].securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe('demo');
  });

  it('serves ingest on 8080 and probes /health and /ready on the plain admin port 9090', () => {
    const c = podSpec(MINIMAL_SPEC).containers[0];
    expect(c.ports).toEqual([
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'admin', containerPort: 9090, protocol: 'TCP' },
    ]);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/health', port: 'admin' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'admin' });
    expect(c.startupProbe.httpGet).toEqual({ path: '/health', port: 'admin' });
  });

  it('mounts each verifier Secret as a whole directory, never with subPath', () => {
    const pod = podSpec(FULL_SPEC);
    const mounts = pod.containers[0].volumeMounts as Record<string, unknown>[];
    expect(JSON.stringify(pod)).not.toContain('subPath');
    expect(mounts).toEqual(
      expect.arrayContaining([
        { name: 'key-0', mountPath: '/etc/flk/keys/agents-a', readOnly: true },
        { name: 'key-1', mountPath: '/etc/flk/keys/agents-b', readOnly: true },
        { name: 'wal', mountPath: '/var/lib/flk/wal' },
        { name: 'tmp', mountPath: '/tmp' },
      ]),
    );
    expect(pod.volumes).toEqual(
      expect.arrayContaining([
        { name: 'key-0', secret: { secretName: 'agents-a-verifier', defaultMode: 0o440 } },
        { name: 'wal', persistentVolumeClaim: { claimName: 'demo-wal' } },
        { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
      ]),
    );
  });

  it('takes env from the ConfigMap, POD_NAME from the downward API and credentials from Secrets', () => {
    const c = podSpec(FULL_SPEC).containers[0];
    expect(c.envFrom).toEqual([{ configMapRef: { name: 'demo-config' } }]);
    expect(c.env).toEqual([
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POSTGRES_CONN', valueFrom: { secretKeyRef: { name: 'pg-app', key: 'uri' } } },
      {
        name: 'METRICS_USER',
        valueFrom: { secretKeyRef: { name: 'metrics-auth', key: 'username' } },
      },
      {
        name: 'METRICS_PASS',
        valueFrom: { secretKeyRef: { name: 'metrics-auth', key: 'password' } },
      },
    ]);
    const redis = podSpec(shared).containers[0].env;
    expect(redis).toContainEqual({
      name: 'REDIS_ADDR',
      valueFrom: { secretKeyRef: { name: 'redis', key: 'address' } },
    });
  });

  it('passes resources through as written', () => {
    const c = podSpec({ ...MINIMAL_SPEC, resources: { requests: { cpu: 1, memory: '300M' } } })
      .containers[0];
    expect(c.resources).toEqual({
      requests: { cpu: '1', memory: '300M' },
      limits: { memory: '512Mi' },
    });
  });

  it('spreads pods across nodes always and across zones unless turned off, best effort', () => {
    const keys = (spec: FractalLBASpec) =>
      podSpec(spec).topologySpreadConstraints.map(
        (t: { topologyKey: string; whenUnsatisfiable: string }) =>
          `${t.topologyKey}/${t.whenUnsatisfiable}`,
      );
    expect(keys(MINIMAL_SPEC)).toEqual([
      'topology.kubernetes.io/zone/ScheduleAnyway',
      'kubernetes.io/hostname/ScheduleAnyway',
    ]);
    expect(keys({ ...MINIMAL_SPEC, topologySpread: { zones: false } })).toEqual([
      'kubernetes.io/hostname/ScheduleAnyway',
    ]);
  });

  it('rolls with Recreate when two pods must not overlap (ReadWriteOnce or memory store)', () => {
    expect(deployment(MINIMAL_SPEC).spec.strategy).toEqual({ type: 'Recreate' });
    expect(deployment(shared).spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 },
    });
  });
});

describe('ConfigMap (the backend env contract)', () => {
  const data = (spec: FractalLBASpec) => byKind(render(spec), 'ConfigMap').data;

  it('renders the variables the backend reads', () => {
    expect(data(MINIMAL_SPEC)).toEqual({
      PORT: '8080',
      HOST: '0.0.0.0',
      ADMIN_PORT: '9090',
      LOG_LEVEL: 'info',
      PCS_KEYS_DIR: '/etc/flk/keys/agents',
      DEDUP_BACKEND: 'memory',
      DEDUP_TTL: '336h',
      DEDUP_SNAPSHOT: '/var/lib/flk/wal/dedup-snapshot.json',
      WAL_DIR: '/var/lib/flk/wal',
      WAL_RETENTION: '168h',
      TOKEN_RATE: '1000',
      TOKEN_BURST: '2000',
      VERIFY_TOL_D: '0.15',
      VERIFY_TOL_COH: '0.05',
      VERIFY_ALPHA: '0.3',
      VERIFY_BETA: '0.5',
      VERIFY_GAMMA: '0.2',
      VERIFY_BASE: '0.1',
      VERIFY_D0: '2.2',
    });
  });

  it('lists every key directory, and sets PCS_SIGN_ALG=none only for signing mode none', () => {
    expect(data(FULL_SPEC).PCS_KEYS_DIR).toBe('/etc/flk/keys/agents-a,/etc/flk/keys/agents-b');
    expect(data(FULL_SPEC)).not.toHaveProperty('PCS_SIGN_ALG');
    const none = renderFractalLBA({ ...renderInput({ signing: { mode: 'none' } }), keys: [] });
    expect(byKind(none, 'ConfigMap').data).toMatchObject({ PCS_SIGN_ALG: 'none' });
    expect(byKind(none, 'ConfigMap').data).not.toHaveProperty('PCS_KEYS_DIR');
  });

  it('never carries connection strings or credentials, and no snapshot for shared stores', () => {
    const cm = data(FULL_SPEC);
    for (const name of [
      'REDIS_ADDR',
      'POSTGRES_CONN',
      'METRICS_USER',
      'METRICS_PASS',
      'DEDUP_SNAPSHOT',
    ]) {
      expect(cm).not.toHaveProperty(name);
    }
  });

  it('writes numbers in plain decimals, never exponent form', () => {
    expect(data({ ...MINIMAL_SPEC, verify: { tolD: 0.0000001, base: 1e-7 } })).toMatchObject({
      VERIFY_TOL_D: '0.0000001',
      VERIFY_BASE: '0.0000001',
    });
  });
});

describe('Service', () => {
  it('is a ClusterIP on port 80 to 8080 named http, plus the admin port 9090', () => {
    const svc = byKind(render(MINIMAL_SPEC), 'Service');
    expect(svc.spec).toMatchObject({
      type: 'ClusterIP',
      ports: [
        { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', appProtocol: 'http' },
        { name: 'admin', port: 9090, targetPort: 9090, protocol: 'TCP', appProtocol: 'http' },
      ],
      selector: {
        'app.kubernetes.io/name': 'fractal-lba',
        'flk.fractal-lba.io/instance': 'demo',
        'app.kubernetes.io/component': 'backend',
      },
    });
  });
});

describe('HorizontalPodAutoscaler', () => {
  it('scales the Deployment on CPU and memory (autoscaling/v2)', () => {
    const hpa = byKind(render(FULL_SPEC), 'HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'demo' },
      minReplicas: 2,
      maxReplicas: 6,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
        },
        {
          type: 'Resource',
          resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } },
        },
      ],
    });
  });
});

describe('PodDisruptionBudget', () => {
  it('allows one pod down by default, or keeps minAvailable, and always lets unhealthy pods go', () => {
    expect(byKind(render(MINIMAL_SPEC), 'PodDisruptionBudget').spec).toMatchObject({
      maxUnavailable: 1,
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    });
    const min = byKind(
      render({ ...MINIMAL_SPEC, pdb: { minAvailable: '50%' } }),
      'PodDisruptionBudget',
    );
    expect(min.spec.minAvailable).toBe('50%');
    expect(min.spec).not.toHaveProperty('maxUnavailable');
  });
});

describe('NetworkPolicy', () => {
  const rules = (spec: FractalLBASpec, extra = {}) =>
    byKind(render(spec, extra), 'NetworkPolicy').spec.ingress;
  const port = [{ port: 8080, protocol: 'TCP' }];
  const admin = [{ port: 9090, protocol: 'TCP' }];

  it('admits the same namespace to the ingest port by default', () => {
    expect(rules(MINIMAL_SPEC)).toEqual([{ from: [{ podSelector: {} }], ports: port }]);
  });

  it('admits ingest peers to the ingest port, metrics peers and the operator to the admin port', () => {
    expect(rules(FULL_SPEC, { operatorNamespace: 'flk-system' })).toEqual([
      { from: [{ namespaceSelector: { matchLabels: { team: 'agents' } } }], ports: port },
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
            podSelector: {
              matchExpressions: [{ key: 'app', operator: 'In', values: ['prometheus'] }],
            },
          },
        ],
        ports: admin,
      },
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'flk-system' } },
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'flk-operator' } },
          },
        ],
        ports: admin,
      },
    ]);
  });
});

describe('WAL PersistentVolumeClaim', () => {
  it('asks for the size, access mode and class of the spec', () => {
    const pvc = byKind(render(FULL_SPEC), 'PersistentVolumeClaim');
    expect(pvc.metadata.name).toBe('demo-wal');
    expect(pvc.spec).toEqual({
      accessModes: ['ReadWriteMany'],
      resources: { requests: { storage: '1Gi' } },
      storageClassName: 'shared',
      volumeMode: 'Filesystem',
    });
  });
});

describe('WAL-compaction CronJob', () => {
  const cron = (spec: FractalLBASpec) => byKind(render(spec), 'CronJob');

  it('runs the backend wal compact command on the same claim, one run at a time', () => {
    const job = cron(MINIMAL_SPEC);
    expect(job.metadata.name).toBe('demo-wal-compaction');
    expect(job.spec).toMatchObject({ schedule: '17 * * * *', concurrencyPolicy: 'Forbid' });
    const pod = job.spec.jobTemplate.spec.template.spec;
    expect(pod.containers[0]).toMatchObject({
      image: 'ghcr.io/fractal-lba/flk-backend:0.1.0',
      command: ['node', 'dist/js/backend/wal/cli.js', 'compact', '--retention', '168h'],
      env: [{ name: 'WAL_DIR', value: '/var/lib/flk/wal' }],
      volumeMounts: [
        { name: 'wal', mountPath: '/var/lib/flk/wal' },
        { name: 'tmp', mountPath: '/tmp' },
      ],
    });
    expect(pod.volumes[0]).toEqual({
      name: 'wal',
      persistentVolumeClaim: { claimName: 'demo-wal' },
    });
    expect(pod.containers[0].securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
    });
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('joins the backend pod on its node when the volume is ReadWriteOnce, and only then', () => {
    const affinity = (spec: FractalLBASpec) =>
      cron(spec).spec.jobTemplate.spec.template.spec.affinity;
    expect(
      affinity(MINIMAL_SPEC).podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0],
    ).toMatchObject({
      topologyKey: 'kubernetes.io/hostname',
    });
    expect(affinity(shared)).toBeUndefined();
  });
});

describe('Ingress', () => {
  it('routes only /v1/pcs of the host to the Service, with TLS, class and annotations', () => {
    const ing = byKind(render(FULL_SPEC), 'Ingress');
    expect(ing.metadata.annotations).toEqual({
      'nginx.ingress.kubernetes.io/proxy-body-size': '64k',
    });
    expect(ing.spec).toEqual({
      ingressClassName: 'nginx',
      rules: [
        {
          host: 'flk.example.com',
          http: {
            paths: [
              {
                path: '/v1/pcs',
                pathType: 'Prefix',
                backend: { service: { name: 'demo', port: { name: 'http' } } },
              },
            ],
          },
        },
      ],
      tls: [{ hosts: ['flk.example.com'], secretName: 'flk-tls' }],
    });
  });
});

describe('ServiceMonitor and PrometheusRule', () => {
  it('scrapes /metrics with the Basic Auth Secret', () => {
    const sm = byKind(render(FULL_SPEC), 'ServiceMonitor');
    expect(sm.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(sm.metadata.labels?.release).toBe('prom');
    expect(sm.spec.endpoints).toEqual([
      {
        port: 'admin',
        path: '/metrics',
        interval: '30s',
        basicAuth: {
          username: { name: 'metrics-auth', key: 'username' },
          password: { name: 'metrics-auth', key: 'password' },
        },
      },
    ]);
  });

  it('carries the rules of alerts/ scoped to this backend and its SigningKeys', () => {
    const rule = byKind(render(FULL_SPEC), 'PrometheusRule');
    const scope = fractalLBAScope({
      name: 'demo',
      namespace: 'ingest',
      signingKeys: ['agents-a', 'agents-b'],
      scraped: true,
    });
    expect(rule.spec.groups).toEqual(ruleGroups(scope));
    expect(rule.spec.groups.map((g: { name: string }) => g.name)).not.toContain('flk-operator');
    const down = rule.spec.groups
      .flatMap((g: { rules: { alert?: string }[] }) => g.rules)
      .find((r: { alert?: string }) => r.alert === 'FlkBackendDown');
    expect(down.expr).toContain('sum by (namespace, job) (up{job="demo",namespace="ingest"}) == 0');
    expect(down.expr).toContain('absent(up{job="demo",namespace="ingest"})');
    expect(JSON.stringify(rule.spec.groups)).toContain(
      'signingkey_namespace=\\"ingest\\",signingkey=~\\"agents-a|agents-b\\"',
    );
  });

  it('does not alert on absent targets when it renders no ServiceMonitor', () => {
    const spec = { ...FULL_SPEC, metrics: { prometheusRule: { enabled: true } } };
    const rule = byKind(render(spec), 'PrometheusRule');
    expect(JSON.stringify(rule.spec.groups)).not.toContain('absent(up');
  });
});

describe('ServiceAccount', () => {
  it('mounts no token', () => {
    expect(byKind(render(MINIMAL_SPEC), 'ServiceAccount').automountServiceAccountToken).toBe(false);
  });
});
