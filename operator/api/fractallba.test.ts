import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FLK_DEFAULTS, FRACTALLBA_RULES, resolveFractalLBA } from './fractallba.ts';

/** The smallest valid spec: everything else has a default. */
const minimal = { signing: { keyRefs: [{ name: 'agents' }] } };
const shared = {
  ...minimal,
  dedup: { backend: 'redis', redis: { secretRef: { name: 'redis' } } },
  wal: { accessMode: 'ReadWriteMany' },
};

const errorsOf = (spec: unknown, name = 'flk') => {
  const r = resolveFractalLBA({ metadata: { name }, spec });
  return r.ok ? [] : r.errors;
};
const rule = (field: string, fragment: string) => {
  const found = FRACTALLBA_RULES.find((r) => r.field === field && r.message.includes(fragment));
  if (!found) throw new Error(`no rule on ${field} with "${fragment}"`);
  return `spec.${field}: ${found.message}`;
};

describe('resolveFractalLBA defaults', () => {
  it('fills every default of a minimal spec', () => {
    const r = resolveFractalLBA({ spec: minimal });
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.spec).toMatchObject({
      image: FLK_DEFAULTS.image,
      replicas: 1,
      autoscaling: { enabled: false, minReplicas: 2, maxReplicas: 10, targetCPUUtilization: 70 },
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
      signing: { mode: 'keys', keyRefs: [{ name: 'agents' }] },
      dedup: { backend: 'memory', ttl: '14d' },
      wal: { size: '1Gi', accessMode: 'ReadWriteOnce', retention: '7d', retainOnDelete: false },
      rateLimit: { tokensPerSecond: 1000, burst: 2000 },
      verify: { tolD: 0.15, tolCoh: 0.05, alpha: 0.3, beta: 0.5, gamma: 0.2, base: 0.1, d0: 2.2 },
      metrics: {
        serviceMonitor: { enabled: false, interval: '30s' },
        prometheusRule: { enabled: false },
      },
      ingress: { enabled: false },
      networkPolicy: { enabled: true, ingestFrom: [], metricsFrom: [] },
      pdb: { enabled: true, maxUnavailable: 1 },
      topologySpread: { zones: true },
    });
    expect(r.spec.autoscaling.targetMemoryUtilization).toBeUndefined();
  });

  it('replaces a resources section as a whole and keeps quantities as written', () => {
    const r = resolveFractalLBA({ spec: { ...minimal, resources: { requests: { cpu: 1 } } } });
    expect(r.ok && r.spec.resources).toEqual({
      requests: { cpu: '1' },
      limits: { memory: '512Mi' },
    });
  });

  it('fills the default secret keys of redis and postgres', () => {
    const r = resolveFractalLBA({ spec: shared });
    expect(r.ok && r.spec.dedup.redis).toEqual({ secretRef: { name: 'redis', key: 'address' } });
  });

  it('leaves maxUnavailable unset when minAvailable is given', () => {
    const r = resolveFractalLBA({ spec: { ...minimal, pdb: { minAvailable: '50%' } } });
    expect(r.ok && r.spec.pdb).toEqual({ enabled: true, minAvailable: '50%' });
  });
});

describe('resolveFractalLBA rules (each error names the field, the rule and the fix)', () => {
  it('refuses a ReadWriteOnce WAL with more than one replica, or with an HPA above 1', () => {
    const want = rule('wal.accessMode', 'ReadWriteOnce');
    const redis = { ...minimal, dedup: shared.dedup };
    expect(errorsOf({ ...redis, replicas: 2 })).toEqual([want]);
    expect(errorsOf({ ...redis, autoscaling: { enabled: true } })).toEqual([want]);
    expect(
      errorsOf({ ...redis, autoscaling: { enabled: true, minReplicas: 1, maxReplicas: 1 } }),
    ).toEqual([]);
    expect(want).toContain('ReadWriteMany');
  });

  it('refuses the memory store with more than one replica: use redis or postgres', () => {
    const want = rule('dedup.backend', 'memory');
    const rwx = { ...minimal, wal: { accessMode: 'ReadWriteMany' } };
    expect(errorsOf({ ...rwx, replicas: 3 })).toEqual([want]);
    expect(errorsOf({ ...rwx, autoscaling: { enabled: true, maxReplicas: 4 } })).toEqual([want]);
    expect(want).toContain('use spec.dedup.backend redis or postgres');
    // replicas is ignored under the HPA: maxReplicas decides.
    expect(
      errorsOf({
        ...rwx,
        replicas: 5,
        autoscaling: { enabled: true, minReplicas: 1, maxReplicas: 1 },
      }),
    ).toEqual([]);
  });

  it('refuses autoscaling min above max, defaults included', () => {
    const want = rule('autoscaling.minReplicas', 'must not exceed');
    expect(errorsOf({ ...shared, autoscaling: { minReplicas: 5, maxReplicas: 3 } })).toEqual([
      want,
    ]);
    expect(errorsOf({ ...shared, autoscaling: { maxReplicas: 1 } })).toEqual([want]);
  });

  it('refuses redis or postgres without a connection Secret', () => {
    expect(errorsOf({ ...minimal, dedup: { backend: 'redis' } })).toEqual([
      rule('dedup.redis', 'redis'),
    ]);
    expect(errorsOf({ ...minimal, dedup: { backend: 'postgres' } })).toEqual([
      rule('dedup.postgres', 'postgres'),
    ]);
    expect(
      errorsOf({
        ...minimal,
        dedup: { backend: 'postgres', postgres: { secretRef: { name: 'pg' } } },
      }),
    ).toEqual([]);
  });

  it('refuses signing none with keyRefs, and keys without any', () => {
    expect(errorsOf({ signing: { mode: 'none', keyRefs: [{ name: 'a' }] } })).toEqual([
      rule('signing.keyRefs', 'mode none'),
    ]);
    expect(errorsOf({})).toEqual([rule('signing.keyRefs', 'at least one')]);
    expect(errorsOf({ signing: { mode: 'none' } })).toEqual([]);
  });

  it('refuses ingress TLS without a host', () => {
    expect(errorsOf({ ...minimal, ingress: { enabled: true, tlsSecretName: 'tls' } })).toEqual([
      rule('ingress.host', 'tlsSecretName'),
    ]);
  });

  it('refuses a serving certificate cert-manager would refuse: too short, renewed too late, or with no name', () => {
    const cert = (c: Record<string, unknown>) =>
      errorsOf({ ...minimal, tls: { certificate: { issuerRef: { name: 'ca' }, ...c } } });

    expect(cert({ duration: '59m' })).toEqual([rule('tls.certificate.duration', 'at least 1h')]);
    expect(cert({ duration: '0s' })).toEqual([rule('tls.certificate.duration', 'at least 1h')]);
    expect(cert({ renewBefore: '4m' })).toEqual([
      rule('tls.certificate.renewBefore', 'at least 5m'),
    ]);
    expect(cert({ duration: '1h', renewBefore: '2h' })).toEqual([
      rule('tls.certificate.renewBefore', 'shorter than'),
    ]);
    expect(cert({ duration: '2h', renewBefore: '2h' })).toEqual([
      rule('tls.certificate.renewBefore', 'shorter than'),
    ]);
    // Unset duration is cert-manager's 90 days.
    expect(cert({ renewBefore: '90d' })).toEqual([
      rule('tls.certificate.renewBefore', 'shorter than'),
    ]);
    expect(cert({ dnsNames: [] })).toEqual([
      'spec.tls.certificate.dnsNames: must name at least one DNS name; leave dnsNames unset for the Service names',
    ]);

    expect(cert({ duration: '1h', renewBefore: '5m' })).toEqual([]);
    expect(cert({ renewBefore: '89d' })).toEqual([]);
    expect(cert({ duration: '90d', renewBefore: '15d' })).toEqual([]);
  });

  it('refuses a PDB with both minAvailable and maxUnavailable', () => {
    expect(errorsOf({ ...minimal, pdb: { minAvailable: 1, maxUnavailable: 1 } })).toEqual([
      rule('pdb', 'not both'),
    ]);
  });

  it('reports every broken rule at once', () => {
    const errors = errorsOf({ replicas: 2, signing: { mode: 'none', keyRefs: [{ name: 'a' }] } });
    expect(errors).toHaveLength(3);
  });

  it('refuses a network policy peer with no selector', () => {
    expect(errorsOf({ ...minimal, networkPolicy: { ingestFrom: [{}] } })).toEqual([
      'spec.networkPolicy.ingestFrom[0]: set namespaceSelector, podSelector or both; an empty peer would allow nothing',
    ]);
  });

  it('refuses a name that cannot name every child', () => {
    const [error] = errorsOf(minimal, 'a-name-that-is-far-too-long-for-the-cronjob');
    expect(error).toMatch(/^metadata\.name: must be at most 37 characters/);
    expect(errorsOf(minimal, 'flk.dotted')[0]).toMatch(/^metadata\.name:/);
  });
});

describe('resolveFractalLBA field errors', () => {
  it('names the path and the expected form', () => {
    const errors = errorsOf({
      ...minimal,
      replicas: 'two',
      dedup: { ttl: '2 weeks' },
      wal: { size: '1 gig', compactionSchedule: 'hourly' },
      verify: { tolD: -1 },
      signing: { keyRefs: [{ name: 'Bad_Name' }] },
    });
    expect(errors).toEqual([
      expect.stringMatching(/^spec\.replicas: .*expected number, received string/),
      expect.stringMatching(/^spec\.signing\.keyRefs\[0\]\.name: must be a lower-case DNS name/),
      expect.stringMatching(/^spec\.dedup\.ttl: must be a duration such as 20s/),
      expect.stringMatching(/^spec\.wal\.size: must be a size such as 512Mi/),
      expect.stringMatching(/^spec\.wal\.compactionSchedule: must be a five-field cron/),
      expect.stringMatching(/^spec\.verify\.tolD: .*>=0/),
    ]);
  });

  it('refuses a resource without a spec', () => {
    expect(resolveFractalLBA({ metadata: { name: 'x' } })).toEqual({
      ok: false,
      errors: ['spec: required; the resource must have a spec object'],
    });
  });

  it('refuses a zero duration where a positive one is needed', () => {
    expect(errorsOf({ ...minimal, dedup: { ttl: '0s' } })).toEqual([
      'spec.dedup.ttl: must be longer than 0s',
    ]);
  });
});

describe('examples', () => {
  it.each(['fractallba-dev', 'fractallba-mtls', 'fractallba-prod'])(
    'examples/%s.yaml resolves',
    (name) => {
      const text = readFileSync(new URL(`../../examples/${name}.yaml`, import.meta.url), 'utf8');
      const r = resolveFractalLBA(parse(text));
      expect(r.ok ? [] : r.errors).toEqual([]);
    },
  );
});
