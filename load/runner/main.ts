/**
 * The Node runner of the load scenarios (k6 cannot be installed everywhere):
 *
 *   npm run load -- --scenario baseline --spawn-backend
 *   npm run load -- --scenario steady,burst --url http://127.0.0.1:8080 [--hmac-key KEY]
 *   npm run load -- --scenario soak --spawn-backend --max-duration 3m --out soak.json
 *
 * Scenarios and thresholds come from load/scenarios.json, the same file the k6 scripts read.
 * Only loopback targets unless --allow-remote. Exit code 1 when a threshold fails.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { runScenario, type RunResult } from './run.ts';
import { loadScenarios, seconds } from './scenarios.ts';
import { spawnBackend, type SpawnedBackend } from './spawn.ts';

const USAGE = `usage: npm run load -- --scenario NAME[,NAME...] (--url URL | --spawn-backend)
  [--hmac-key KEY] [--max-duration 3m] [--max-requests N] [--out FILE.json] [--allow-remote]`;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const COUNTERS = [
  'flk_ingest_total',
  'flk_accepted',
  'flk_escalated',
  'flk_dedup_hits',
  'flk_signature_errors',
];

/** The backend's own counters, when its /metrics is open (no Basic Auth). */
async function serverCounters(url: string): Promise<Record<string, number> | undefined> {
  const res = await fetch(`${url}/metrics`).catch(() => undefined);
  if (!res?.ok) return undefined;
  const text = await res.text();
  return Object.fromEntries(
    COUNTERS.map((name) => [
      name,
      Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN),
    ]),
  );
}

function delta(before?: Record<string, number>, after?: Record<string, number>) {
  if (!before || !after) return undefined;
  return Object.fromEntries(COUNTERS.map((n) => [n, (after[n] ?? NaN) - (before[n] ?? NaN)]));
}

function summary(r: RunResult & { server?: Record<string, number> }): string {
  const l = r.latencyMs;
  const verdict = r.failures.length === 0 ? 'PASS' : `FAIL (${r.failures.join('; ')})`;
  const server = r.server
    ? ` | backend: ${r.server.flk_ingest_total} ingested, ${r.server.flk_dedup_hits} dedup hits, ${r.server.flk_signature_errors} signature errors`
    : '';
  return (
    `${r.scenario}: ${r.requests} requests in ${r.seconds} s (${r.requestsPerSec} req/s), ` +
    `p50 ${l.p50} ms, p95 ${l.p95} ms, p99 ${l.p99} ms, max ${l.max} ms, ` +
    `errors ${(r.errorRate * 100).toFixed(3)} %, statuses ${JSON.stringify(r.statuses)}${server} — ${verdict}`
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      url: { type: 'string' },
      'spawn-backend': { type: 'boolean' },
      'hmac-key': { type: 'string' },
      'max-duration': { type: 'string' },
      'max-requests': { type: 'string', default: '3000000' },
      out: { type: 'string' },
      'allow-remote': { type: 'boolean' },
    },
  });
  if (!values.scenario || !values.url === !values['spawn-backend']) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = loadScenarios();
  const hmacKey = values['hmac-key'] ?? process.env.FLK_LOAD_HMAC_KEY ?? config.records.hmac_key;
  let backend: SpawnedBackend | undefined;
  const url = values.url ?? (backend = await spawnBackend(hmacKey)).url;
  if (!values['allow-remote'] && !LOOPBACK.has(new URL(url).hostname)) {
    process.stderr.write(
      `load: ${url} is not a loopback address; pass --allow-remote to load it\n`,
    );
    await backend?.stop();
    return 2;
  }

  const results = [];
  try {
    for (const scenario of values.scenario.split(',')) {
      const before = await serverCounters(url);
      const result = await runScenario({
        url,
        scenario,
        config,
        hmacKey,
        maxSeconds: values['max-duration'] ? seconds(values['max-duration']) : undefined,
        maxRequests: Number(values['max-requests']),
        log: (line) => process.stderr.write(`${scenario}: ${line}\n`),
      });
      const full = {
        ...result,
        server: delta(before, await serverCounters(url)),
        backendPeakRssMiB: backend?.peakRssMiB(),
      };
      process.stdout.write(`${summary(full)}\n`);
      results.push(full);
    }
  } finally {
    await backend?.stop();
  }

  const cpu = os.cpus();
  const machine = `${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
  if (values.out)
    writeFileSync(values.out, `${JSON.stringify({ machine, url, results }, null, 2)}\n`);
  return results.every((r) => r.failures.length === 0) ? 0 : 1;
}

process.exitCode = await main();
