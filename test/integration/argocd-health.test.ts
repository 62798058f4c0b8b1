/**
 * The Argo CD health checks of crds/argocd/, run by a real Lua 5.1 interpreter (Debian's lua5.1;
 * Argo CD's gopher-lua implements Lua 5.1) with only the libraries Argo CD opens for a script from
 * argocd-cm: against their health_test.yaml fixtures in Argo CD's own layout, against the status
 * the controllers' own status functions compute, and against the argocd-cm example that ships
 * them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { ANNOTATIONS, API_VERSION } from '../../operator/api/constants.ts';
import { computeStatus, pausedStatus, type Outcome } from '../../operator/fractallba/status.ts';
import * as skStatus from '../../operator/signingkey/status.ts';
import {
  GROUP_DIR,
  KINDS,
  LUA,
  healthScript,
  readFixture,
  readHealthTests,
  runHealthCheck,
  type Kind,
} from '../../crds/argocd/health-runner.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const NOW = new Date('2026-11-02T10:15:00Z');
const COUNTS = { replicas: 2, readyReplicas: 2, updatedReplicas: 2, availableReplicas: 2 };

beforeAll(() => {
  try {
    execFileSync(LUA, ['-v'], { stdio: 'pipe' });
  } catch {
    throw new Error(
      `${LUA} is not installed: apt-get install lua5.1 (test/prereqs.sh installs it)`,
    );
  }
});

function object(
  kind: Kind,
  generation: number,
  status: unknown,
  annotations?: Record<string, string>,
) {
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: { name: 'x', namespace: 'ns', generation, annotations },
    spec: {},
    status,
  };
}

describe.each(KINDS)('%s health.lua against its health_test.yaml', (kind) => {
  const tests = readHealthTests(kind);

  it.each(tests.map((t) => [t.inputPath, t] as const))('%s', (_input, test) => {
    expect(runHealthCheck(kind, readFixture(kind, test.inputPath))).toEqual(test.healthStatus);
  });

  it('covers Healthy, Progressing, Degraded and Suspended, and uses every fixture', () => {
    expect(new Set(tests.map((t) => t.healthStatus.status))).toEqual(
      new Set(['Healthy', 'Progressing', 'Degraded', 'Suspended']),
    );
    const files = readdirSync(path.join(GROUP_DIR, kind, 'testdata')).map((f) => `testdata/${f}`);
    expect(tests.map((t) => t.inputPath).sort()).toEqual(files.sort());
  });
});

describe('FractalLBA health of the status the controller computes (operator/fractallba/status.ts)', () => {
  const cases: Array<[string, Outcome, string]> = [
    [
      'rollout complete',
      { kind: 'applied', rollout: { state: 'complete', message: 'all available', counts: COUNTS } },
      'Healthy',
    ],
    [
      'rolling out',
      {
        kind: 'applied',
        rollout: { state: 'progressing', message: 'waiting for 1', counts: COUNTS },
      },
      'Progressing',
    ],
    [
      'Deployment not created yet',
      { kind: 'applied', rollout: { state: 'absent', message: 'creating the Deployment' } },
      'Progressing',
    ],
    [
      'waiting for keys',
      { kind: 'waiting', reason: 'WaitingForKeys', message: 'Secret ns/k-verifier is missing' },
      'Progressing',
    ],
    [
      'waiting for Secrets',
      { kind: 'waiting', reason: 'WaitingForSecrets', message: 'Secret ns/redis is missing' },
      'Progressing',
    ],
    ['invalid spec', { kind: 'invalid', errors: ['spec.replicas: too many'] }, 'Degraded'],
    [
      'terminal failure',
      { kind: 'failed', reason: 'ApplyFailed', message: 'refused', terminal: true },
      'Degraded',
    ],
    [
      'failure being retried',
      { kind: 'failed', reason: 'ApplyFailed', message: 'timeout', terminal: false },
      'Degraded',
    ],
    [
      'stalled',
      {
        kind: 'applied',
        rollout: { state: 'stalled', message: 'deadline exceeded', counts: COUNTS },
      },
      'Degraded',
    ],
    [
      'replica failure',
      { kind: 'applied', rollout: { state: 'replica-failure', message: 'quota', counts: COUNTS } },
      'Degraded',
    ],
  ];

  it.each(cases)('%s is %s... ', (_what, outcome, want) => {
    const status = computeStatus({ previous: undefined, generation: 3, outcome, now: NOW });
    expect(runHealthCheck('FractalLBA', object('FractalLBA', 3, status)).status).toBe(want);
  });

  it('a new generation the controller has not reconciled yet is Progressing, even if it was Ready', () => {
    const ready = computeStatus({
      previous: undefined,
      generation: 3,
      outcome: cases[0]![1],
      now: NOW,
    });
    expect(runHealthCheck('FractalLBA', object('FractalLBA', 4, ready))).toEqual({
      status: 'Progressing',
      message: 'Waiting for the operator to reconcile generation 4',
    });
  });

  it('paused is Suspended', () => {
    const ready = computeStatus({
      previous: undefined,
      generation: 3,
      outcome: cases[0]![1],
      now: NOW,
    });
    const paused = pausedStatus(ready, 4, NOW);
    expect(
      runHealthCheck(
        'FractalLBA',
        object('FractalLBA', 4, paused, { [ANNOTATIONS.paused]: 'true' }),
      ).status,
    ).toBe('Suspended');
  });
});

describe('SigningKey health of the status the controller computes (operator/signingkey/status.ts)', () => {
  const active = skStatus.withConditions(undefined, 2, NOW, [
    { type: 'Ready', status: 'True', reason: 'KeyActive', message: 'key a signs' },
    {
      type: 'Progressing',
      status: 'False',
      reason: 'Idle',
      message: 'no rotation step is under way',
    },
    { type: 'Degraded', status: 'False', reason: 'AsExpected', message: 'nothing needs attention' },
  ]);

  it('an Active key, no rotation under way, is Healthy', () => {
    expect(runHealthCheck('SigningKey', object('SigningKey', 2, active))).toEqual({
      status: 'Healthy',
      message: 'key a signs',
    });
  });

  it('stopped on a missing import Secret is Degraded, naming the reason', () => {
    const stopped = skStatus.stoppedStatus(
      active,
      2,
      NOW,
      'SourceMissing',
      'Secret ns/import does not exist',
    );
    expect(runHealthCheck('SigningKey', object('SigningKey', 2, stopped))).toEqual({
      status: 'Degraded',
      message: 'SourceMissing: Secret ns/import does not exist',
    });
  });

  it('a failed write being retried is Degraded', () => {
    const failed = skStatus.writeFailedStatus(active, 2, NOW, 'writing Secret k-signer: conflict');
    expect(runHealthCheck('SigningKey', object('SigningKey', 2, failed)).status).toBe('Degraded');
  });

  it('paused is Suspended, though its observedGeneration lags', () => {
    const paused = skStatus.pausedStatus(active, 3, NOW);
    expect(paused.observedGeneration).toBe(2);
    expect(
      runHealthCheck(
        'SigningKey',
        object('SigningKey', 3, paused, { [ANNOTATIONS.paused]: 'true' }),
      ).status,
    ).toBe('Suspended');
  });
});

describe('the Lua environment is the one Argo CD gives an argocd-cm script', () => {
  it.each([
    ['string.format', 'return { status = string.format("%s", "Healthy") }'],
    ['a string method', 'local s = "Healthy"; return { status = s:lower() }'],
    ['math', 'return { status = "Healthy", message = tostring(math.floor(1.5)) }'],
    ['os', 'return { status = os.getenv("HOME") }'],
    ['io', 'io.write("x"); return { status = "Healthy" }'],
  ])('a script that uses %s fails', (_what, source) => {
    const script = path.join(mkdtempSync(path.join(tmpdir(), 'flk-lua-')), 'health.lua');
    writeFileSync(script, source);
    expect(() => runHealthCheck('FractalLBA', {}, script)).toThrow();
  });

  it('the shipped scripts call no library function at all', () => {
    for (const kind of KINDS) {
      const code = readFileSync(healthScript(kind), 'utf8').replace(/--.*$/gm, '');
      expect(code, kind).not.toMatch(/\b(string|math|os|io|debug|require)\s*[.(]|:\s*\w+\s*\(/);
    }
  });
});

describe('examples/argocd/argocd-cm.yaml', () => {
  const cm = parse(readFileSync(path.join(REPO, 'examples/argocd/argocd-cm.yaml'), 'utf8')) as {
    data: Record<string, string>;
  };

  it.each(KINDS)(
    'registers %s health.lua byte for byte under its resource.customizations key',
    (kind) => {
      const key = `resource.customizations.health.flk.fractal-lba.io_${kind}`;
      expect(cm.data[key]).toBe(readFileSync(healthScript(kind), 'utf8'));
    },
  );
});
