import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatRecord } from '../../pcs/record.ts';
import { buildRecord, hmacMaterial, signRecord } from '../../pcs/sign.ts';
import { makeSigner } from '../../load/k6/sign.js';
import { TEMPLATE_FILE, templateJson } from '../../load/record-template.ts';
import { nodeCrypto, readTemplate } from '../../load/runner/records.ts';
import { runScenario } from '../../load/runner/run.ts';
import { loadScenarios, planSteps } from '../../load/runner/scenarios.ts';
import { REPO_ROOT, startBackend, submit, type RunningBackend } from '../harness/backend.ts';

const config = loadScenarios();
const K6_DIR = path.join(REPO_ROOT, 'load', 'k6');

describe('load scenarios: one definition for k6 and the Node runner', () => {
  it('load/k6/record-template.json is current (npx tsx load/record-template.ts)', () => {
    expect(fs.readFileSync(TEMPLATE_FILE, 'utf8')).toBe(templateJson());
  });

  it('sign.js, the signer k6 runs, makes records byte-identical to pcs/sign.ts', () => {
    const key = config.records.hmac_key;
    const { sign } = makeSigner(nodeCrypto, readTemplate(), key);
    for (const [shard, epoch] of [
      ['k6-abc-1-0', 0],
      ['node-x-42', 42],
      ['z', 9_007_199_254_740_991],
    ] as const) {
      const sentAt = '2026-12-04T10:00:00.000Z';
      const merkle_root = createHash('sha256').update(`flk load|${shard}|${epoch}`).digest('hex');
      const want = signRecord(
        buildRecord({ shard_id: shard, epoch, merkle_root, sent_at: sentAt }),
        {
          scheme: 'hmac-sha256',
          key: hmacMaterial(key),
        },
      );
      expect(sign(shard, epoch, sentAt).body).toBe(formatRecord(want));
    }
  });

  it('has the baseline, burst, steady and soak scenarios of the issue, each with a k6 script', () => {
    expect(Object.keys(config.scenarios)).toEqual(
      expect.arrayContaining(['smoke', 'baseline', 'burst', 'steady', 'soak']),
    );
    expect(config.thresholds).toEqual({ p95_ms: 200, error_rate: 0.01 });
    for (const name of Object.keys(config.scenarios)) {
      const file = path.join(K6_DIR, `${name}.js`);
      expect(fs.readFileSync(file, 'utf8'), name).toContain(`optionsFor('${name}')`);
    }
    for (const f of fs.readdirSync(K6_DIR).filter((f) => f.endsWith('.js')))
      execFileSync(process.execPath, ['--check', path.join(K6_DIR, f)]);
  });

  it('turns the scenarios into bounded steps: baseline reaches 100 connections, steady 1,000 req/s', () => {
    const baseline = planSteps(config.scenarios.baseline!);
    expect(Math.max(...baseline.map((s) => s.connections))).toBe(100);
    expect(baseline.reduce((t, s) => t + s.seconds, 0)).toBeCloseTo(270, 6);
    expect(planSteps(config.scenarios.steady!)).toEqual([
      { seconds: 300, connections: 100, rate: 1000 },
    ]);
    expect(Math.max(...planSteps(config.scenarios.burst!).map((s) => s.rate ?? 0))).toBeGreaterThan(
      1000,
    );
    const soak = planSteps(config.scenarios.soak!, { maxSeconds: 180 });
    expect(soak.reduce((t, s) => t + s.seconds, 0)).toBe(180);
  });
});

describe('load smoke: the Node runner against a local backend', () => {
  let b: RunningBackend;
  beforeAll(async () => {
    b = await startBackend({ PCS_SIGN_ALG: 'hmac', PCS_HMAC_KEY: config.records.hmac_key });
  });
  afterAll(() => b.close());

  it('answers every signed record 200, resent ones from the dedup store, within the thresholds', async () => {
    const first = makeSigner(nodeCrypto, readTemplate(), config.records.hmac_key).sign(
      'smoke-probe',
      1,
      new Date().toISOString(),
    );
    expect((await submit(b.url, first.body)).json).toMatchObject({
      accepted: true,
      dedup_hit: false,
    });
    expect((await submit(b.url, first.body)).json).toMatchObject({ dedup_hit: true });

    const result = await runScenario({
      url: b.url,
      scenario: 'smoke',
      config,
      maxSeconds: 3,
      maxRequests: 3000,
    });
    expect(result.failures).toEqual([]);
    expect(result.requests).toBeGreaterThan(100);
    expect(result.requests).toBeLessThanOrEqual(3000);
    expect(Object.keys(result.statuses)).toEqual(['200']);
    expect(result.duplicatesSent).toBeGreaterThan(0);

    const metrics = await fetch(`${b.url}/metrics`).then((r) => r.text());
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(value('flk_signature_errors')).toBe(0);
    expect(value('flk_dedup_hits')).toBeGreaterThanOrEqual(result.duplicatesSent);
  });
});
