import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { generatedFiles, ROOT } from '../../alerts/generate.ts';
import { staticAlerts } from '../../alerts/promtool-tests.ts';
import {
  OPERATOR_RULES_FILE,
  RULES_FILE,
  RUNBOOK_BASE_URL,
  fractalLBAScope,
  ruleGroups,
} from '../../alerts/rules.ts';
import { ALERT_CASES } from '../../alerts/tests/cases.ts';
import { exampleNames, renderExample } from '../../cdk8s/render-examples.ts';

const PROMTOOL = process.env.PROMTOOL ?? 'promtool';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flk-alerts-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function promtool(...args: string[]) {
  const r = spawnSync(PROMTOOL, args, { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.error)
    throw new Error(
      `${PROMTOOL} cannot run (Debian package prometheus, see test/prereqs.sh): ${r.error.message}`,
    );
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces to dashes. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');
}

function headings(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => /^#{1,6} /.test(l))
    .map((l) => anchor(l.replace(/^#+ /, '')));
}

describe('alert rules', () => {
  it('checked-in generated files match their sources (npx tsx alerts/generate.ts)', () => {
    for (const [file, want] of Object.entries(generatedFiles()))
      expect(fs.readFileSync(path.join(ROOT, file), 'utf8'), `${file} is stale`).toBe(want);
  });

  it('pass promtool check rules, the full set and the operator-only file', () => {
    const r = promtool('check', 'rules', RULES_FILE, OPERATOR_RULES_FILE);
    expect(r.code, r.out).toBe(0);
  });

  it('pass promtool test rules: every alert fires on its cause and resolves after it', () => {
    const r = promtool('test', 'rules', 'alerts/tests/flk-rules.test.yaml');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('SUCCESS');
  });

  it('have a promtool case for every alert, each firing once and resolving, and no case for an unknown one', () => {
    const alerts = staticAlerts().map((a) => a.alert);
    for (const name of alerts) {
      const cases = ALERT_CASES.filter((c) => c.alert === name);
      expect(
        cases.some((c) => c.fires && c.resolved && c.quiet.length > 0),
        name,
      ).toBe(true);
    }
    for (const c of ALERT_CASES) expect(alerts, c.name).toContain(c.alert);
  });

  it('give every alert a severity, a summary, a description and a runbook under runbooks/', () => {
    for (const a of staticAlerts()) {
      expect(['critical', 'warning'], a.alert).toContain(a.labels.severity);
      expect(a.annotations.summary.length, a.alert).toBeGreaterThan(10);
      expect(a.annotations.description.length, a.alert).toBeGreaterThan(40);
      const url = a.annotations.runbook_url;
      expect(url.startsWith(RUNBOOK_BASE_URL), `${a.alert}: ${url}`).toBe(true);
      const [file, hash] = url.slice(RUNBOOK_BASE_URL.length).split('#') as [string, string];
      const local = path.join(ROOT, 'runbooks', file);
      expect(fs.existsSync(local), `${a.alert}: runbooks/${file} is missing`).toBe(true);
      expect(headings(local), `${a.alert}: runbooks/${file} has no heading #${hash}`).toContain(
        hash,
      );
    }
  });

  it('have runbooks that say symptom, impact, how to diagnose, the fix and how to confirm', () => {
    const pages = new Set(
      staticAlerts().map((a) => a.annotations.runbook_url.split('/').pop()!.split('#')[0]!),
    );
    for (const page of pages) {
      const text = fs.readFileSync(path.join(ROOT, 'runbooks', page), 'utf8');
      expect(text, page).toMatch(/diagnose/i);
      expect(text, page).toMatch(/kubectl /);
      for (const section of text.split(/^## /m).slice(1)) {
        const title = section.split('\n')[0];
        for (const word of [/symptom/i, /impact/i, /fix/i, /confirm/i])
          expect(section, `${page} ## ${title}`).toMatch(word);
      }
    }
  });

  it('name no alert twice and give each group a unique name', () => {
    const names = staticAlerts().map((a) => a.alert);
    expect(new Set(names).size).toBe(names.length);
    const groups = ruleGroups(
      fractalLBAScope({ name: 'x', namespace: 'y', signingKeys: ['a'], scraped: true }),
    );
    expect(new Set(groups.map((g) => g.name)).size).toBe(groups.length);
  });

  it.each(exampleNames())(
    'rendered into the PrometheusRule of examples/%s.yaml, pass promtool check rules',
    (name) => {
      const docs = renderExample(name)
        .split(/^---$/m)
        .map((d) => parse(d))
        .filter((d) => d?.kind === 'PrometheusRule');
      for (const [i, doc] of docs.entries()) {
        const file = path.join(tmp, `${name}-${i}.yaml`);
        fs.writeFileSync(file, stringify({ groups: doc.spec.groups }));
        const r = promtool('check', 'rules', file);
        expect(r.code, r.out).toBe(0);
      }
    },
  );

  it('scope a FractalLBA with dotted SigningKey names as valid regular expressions', () => {
    const file = path.join(tmp, 'dotted.yaml');
    const groups = ruleGroups(
      fractalLBAScope({ name: 'flk', namespace: 'ns', signingKeys: ['a.b', 'c'], scraped: false }),
    );
    fs.writeFileSync(file, stringify({ groups }));
    expect(promtool('check', 'rules', file).code).toBe(0);
    expect(JSON.stringify(groups)).toContain('signingkey=~\\"a\\\\\\\\.b|c\\"');
  });

  it('promtool is the one CI installs (test/prereqs.sh lists the prometheus package)', () => {
    expect(fs.readFileSync(path.join(ROOT, 'test/prereqs.sh'), 'utf8')).toMatch(
      /promtool.*prometheus/,
    );
    expect(execFileSync(PROMTOOL, ['--version'], { encoding: 'utf8' })).toMatch(
      /promtool, version/,
    );
  });
});
