/**
 * load/scenarios.json, read and checked, and each k6 scenario turned into the steps the Node
 * runner plays with autocannon: a k6 stage ramps linearly, a step holds one level, so a ramp
 * becomes a staircase of short steps at the level of each step's midpoint.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const SCENARIOS_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios.json');

const Duration = z
  .string()
  .regex(/^(\d+h)?(\d+m)?(\d+s)?$/, 'a k6 duration such as 30s, 5m, 1h30m');
const Stage = z.object({ duration: Duration, target: z.number().int().min(0) });

const Scenario = z.discriminatedUnion('executor', [
  z.object({
    executor: z.literal('constant-vus'),
    description: z.string(),
    vus: z.number().int().min(1),
    duration: Duration,
  }),
  z.object({
    executor: z.literal('ramping-vus'),
    description: z.string(),
    startVUs: z.number().int().min(0).default(0),
    stages: z.array(Stage).min(1),
    gracefulRampDown: Duration.optional(),
  }),
  z.object({
    executor: z.literal('constant-arrival-rate'),
    description: z.string(),
    rate: z.number().int().min(1),
    timeUnit: Duration.default('1s'),
    duration: Duration,
    preAllocatedVUs: z.number().int().min(1),
    maxVUs: z.number().int().min(1),
  }),
  z.object({
    executor: z.literal('ramping-arrival-rate'),
    description: z.string(),
    startRate: z.number().int().min(0),
    timeUnit: Duration.default('1s'),
    stages: z.array(Stage).min(1),
    preAllocatedVUs: z.number().int().min(1),
    maxVUs: z.number().int().min(1),
  }),
]);

const LoadConfig = z.object({
  thresholds: z.object({ p95_ms: z.number().positive(), error_rate: z.number().min(0).max(1) }),
  records: z.object({
    scheme: z.literal('hmac-sha256'),
    hmac_key: z.string().min(32),
    duplicate_every: z.number().int().min(2),
  }),
  scenarios: z.record(z.string(), Scenario),
});

export type Scenario = z.output<typeof Scenario>;
export type LoadConfig = z.output<typeof LoadConfig>;

export function loadScenarios(file = SCENARIOS_FILE): LoadConfig {
  const parsed = LoadConfig.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success)
    throw new Error(
      `${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

/** Seconds of a k6 duration ("1h30m", "45s"). */
export function seconds(duration: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration);
  if (!m || duration === '') throw new Error(`not a duration: "${duration}"`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** One level held for a while: `connections` in flight at once, capped at `rate` req/s if set. */
export interface Step {
  seconds: number;
  connections: number;
  rate?: number;
}

export interface PlanOptions {
  /** Scale every stage down so the whole scenario lasts at most this long (a shortened soak). */
  maxSeconds?: number;
  /** Length of one step of a ramp. */
  stepSeconds?: number;
}

function scaled(total: number, maxSeconds: number | undefined): number {
  return maxSeconds !== undefined && total > maxSeconds ? maxSeconds / total : 1;
}

function ramp(
  start: number,
  stages: { duration: string; target: number }[],
  o: PlanOptions,
  toStep: (level: number, secs: number) => Step,
): Step[] {
  const factor = scaled(
    stages.reduce((t, s) => t + seconds(s.duration), 0),
    o.maxSeconds,
  );
  const steps: Step[] = [];
  let level = start;
  for (const stage of stages) {
    const total = seconds(stage.duration) * factor;
    const n = Math.max(1, Math.ceil(total / (o.stepSeconds ?? 10)));
    for (let i = 0; i < n; i++) {
      const mid = level + ((stage.target - level) * (i + 0.5)) / n;
      steps.push(toStep(mid, total / n));
    }
    level = stage.target;
  }
  return steps.filter((s) => s.seconds > 0);
}

export function planSteps(s: Scenario, o: PlanOptions = {}): Step[] {
  switch (s.executor) {
    case 'constant-vus': {
      const secs = seconds(s.duration) * scaled(seconds(s.duration), o.maxSeconds);
      return [{ seconds: secs, connections: s.vus }];
    }
    case 'ramping-vus':
      return ramp(s.startVUs, s.stages, o, (level, secs) => ({
        seconds: secs,
        connections: Math.max(1, Math.round(level)),
      }));
    case 'constant-arrival-rate': {
      const secs = seconds(s.duration) * scaled(seconds(s.duration), o.maxSeconds);
      const rate = s.rate / seconds(s.timeUnit);
      return [{ seconds: secs, connections: s.preAllocatedVUs, rate }];
    }
    case 'ramping-arrival-rate':
      return ramp(s.startRate, s.stages, o, (level, secs) => ({
        seconds: secs,
        connections: s.preAllocatedVUs,
        rate: Math.max(1, Math.round(level / seconds(s.timeUnit))),
      }));
  }
}
