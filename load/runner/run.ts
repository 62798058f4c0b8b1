/**
 * Plays one scenario of load/scenarios.json against a backend with autocannon, step by step,
 * and judges it by the same thresholds as k6 (p95 latency, share of failed requests). Bounded
 * in time (each step runs for its duration) and in count (`maxRequests` over the whole run,
 * enforced by autocannon's maxOverallRequests in every step).
 */
import autocannon from 'autocannon';
import { bodySource } from './records.ts';
import { planSteps, type LoadConfig, type Step } from './scenarios.ts';

export interface RunOptions {
  url: string;
  scenario: string;
  config: LoadConfig;
  hmacKey?: string;
  maxSeconds?: number;
  maxRequests: number;
  log?: (line: string) => void;
}

export interface RunResult {
  scenario: string;
  seconds: number;
  requests: number;
  statuses: Record<string, number>;
  /** Connection errors and timeouts (no HTTP answer). */
  errors: number;
  errorRate: number;
  requestsPerSec: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** Bodies that resent an earlier record (dedup hits by construction). */
  duplicatesSent: number;
  stoppedAtMaxRequests: boolean;
  thresholds: { p95_ms: number; error_rate: number };
  failures: string[];
}

class Latencies {
  private values = new Float64Array(1 << 16);
  length = 0;

  push(ms: number): void {
    if (this.length === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = ms;
  }

  percentiles() {
    const sorted = this.values.slice(0, this.length).sort();
    const at = (p: number) =>
      this.length === 0 ? NaN : sorted[Math.max(0, Math.ceil(p * this.length) - 1)]!;
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
  }
}

export async function runScenario(o: RunOptions): Promise<RunResult> {
  const scenario = o.config.scenarios[o.scenario];
  if (!scenario) throw new Error(`no scenario "${o.scenario}" in load/scenarios.json`);
  const steps = planSteps(scenario, { maxSeconds: o.maxSeconds });
  const bodies = bodySource({
    hmacKey: o.hmacKey ?? o.config.records.hmac_key,
    duplicateEvery: o.config.records.duplicate_every,
    runId: Date.now().toString(36),
    concurrency: Math.max(...steps.map((st) => st.connections)),
  });
  const latencies = new Latencies();
  const statuses: Record<string, number> = {};
  let errors = 0;
  let stopped = false;

  const started = performance.now();
  for (const [i, step] of steps.entries()) {
    const budget = o.maxRequests - (latencies.length + errors);
    if (budget <= 0) {
      stopped = true;
      break;
    }
    o.log?.(`step ${i + 1}/${steps.length}: ${describe(step)}`);
    const result = await playStep(o.url, step, budget, {
      body: () => bodies.next(),
      onResponse: (status, ms) => {
        statuses[status] = (statuses[status] ?? 0) + 1;
        latencies.push(ms);
      },
    });
    errors += result.errors + result.timeouts;
  }
  const secs = (performance.now() - started) / 1000;

  const answered = latencies.length;
  const failed =
    errors +
    Object.entries(statuses).reduce((n, [s, c]) => (s === '200' || s === '202' ? n : n + c), 0);
  const errorRate = answered + errors === 0 ? 1 : failed / (answered + errors);
  const latencyMs = latencies.percentiles();
  const { thresholds } = o.config;
  const failures = [
    ...(latencyMs.p95 < thresholds.p95_ms
      ? []
      : [`p95 ${latencyMs.p95} ms >= ${thresholds.p95_ms} ms`]),
    ...(errorRate < thresholds.error_rate
      ? []
      : [`error rate ${errorRate} >= ${thresholds.error_rate}`]),
  ];
  return {
    scenario: o.scenario,
    seconds: round(secs),
    requests: answered + errors,
    statuses,
    errors,
    errorRate,
    requestsPerSec: round(answered / secs),
    latencyMs: {
      p50: round2(latencyMs.p50),
      p95: round2(latencyMs.p95),
      p99: round2(latencyMs.p99),
      max: round2(latencyMs.max),
    },
    duplicatesSent: bodies.duplicates,
    stoppedAtMaxRequests: stopped || latencies.length + errors >= o.maxRequests,
    thresholds,
    failures,
  };
}

function describe(step: Step): string {
  const rate = step.rate === undefined ? '' : `, ${step.rate} req/s`;
  return `${round(step.seconds)} s, ${step.connections} connections${rate}`;
}

interface StepHooks {
  body(): string;
  onResponse(status: number, ms: number): void;
}

/** One step: its duration, and never more than `budget` requests (autocannon's own cap). */
function playStep(
  url: string,
  step: Step,
  budget: number,
  hooks: StepHooks,
): Promise<autocannon.Result> {
  const connections = Math.min(step.connections, budget);
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration: step.seconds,
        maxOverallRequests: budget,
        timeout: 10,
        ...(step.rate !== undefined && { overallRate: step.rate }),
        requests: [
          {
            method: 'POST',
            path: '/v1/pcs/submit',
            headers: { 'content-type': 'application/json' },
            setupRequest: (req) => ({ ...req, body: hooks.body() }),
          },
        ],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    instance.on('response', (_client, status, _bytes, ms) => hooks.onResponse(status, ms));
  });
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
