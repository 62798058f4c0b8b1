/**
 * Ingest benchmark (not a test): requests/s, p50/p99 latency and the server's peak memory for
 * the durable ingest (group-commit WAL, memory dedup) with HMAC and with Ed25519, next to a
 * bare fastify route that parses the same body, and the same ingest with one fsync per request.
 *
 *   npm run bench:ingest [-- --seconds 10 --connections 100]
 *
 * Every request carries a distinct signed record, so each one takes the full path: WAL,
 * parse, signature, dedup miss, signals, store write. The load generator runs in this process
 * on the same machine, so the server gets what one core leaves it; the figures are what this
 * machine does end to end, not the server alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { generateEd25519 } from '../pcs/keygen.ts';
import { parseSignerKey, formatKeyFile } from '../pcs/keyfile.ts';
import { formatRecord } from '../pcs/record.ts';
import { buildRecord, hmacMaterial, signRecord } from '../pcs/sign.ts';
import type { SignerKey } from '../pcs/keyfile.ts';
import { freePort, waitForPort } from '../test/harness/ports.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '100' },
    out: { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

const HMAC_KEY = 'bench-hmac-key-0123456789abcdef0123456789';
const ed = generateEd25519();
const edSigner = parseSignerKey(formatKeyFile(ed.signer));

function bodies(
  count: number,
  signer: SignerKey | { scheme: 'hmac-sha256'; key: ReturnType<typeof hmacMaterial> },
  tag: string,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++)
    out.push(
      formatRecord(
        signRecord(buildRecord({ shard_id: `bench-${tag}-${process.pid}-${i}`, epoch: i }), signer),
      ),
    );
  return out;
}

interface Run {
  name: string;
  script: string[];
  env: Record<string, string>;
  bodies: string[];
}

interface Result {
  name: string;
  requestsPerSec: number;
  p50ms: number;
  p99ms: number;
  non2xx: number;
  errors: number;
  peakRssMiB: number;
}

function peakRssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

async function runOne(run: Run): Promise<Result> {
  const port = await freePort();
  const walDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flk-bench-'));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', ...run.script], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      WAL_DIR: walDir,
      ...run.env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitForPort(port, 30_000);
    let i = 0;
    const next = () => run.bodies[i++ % run.bodies.length] as string;
    const fire = (duration: number) =>
      autocannon({
        url: `http://127.0.0.1:${port}`,
        connections: CONNECTIONS,
        duration,
        requests: [
          {
            method: 'POST',
            path: '/v1/pcs/submit',
            headers: { 'content-type': 'application/json' },
            setupRequest: (req) => ({ ...req, body: next() }),
          },
        ],
      });
    await fire(2); // warm-up: JIT, connection setup
    const r = await fire(SECONDS);
    return {
      name: run.name,
      requestsPerSec: Math.round(r.requests.average),
      p50ms: r.latency.p50,
      p99ms: r.latency.p99,
      non2xx: r.non2xx,
      errors: r.errors + r.timeouts,
      peakRssMiB: peakRssMiB(child.pid as number),
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(walDir, { recursive: true, force: true });
  }
}

async function main() {
  const perRun = Math.ceil(12_000 * (SECONDS + 2));
  process.stderr.write(`signing ${perRun} distinct records per scheme…\n`);
  const hmacBodies = bodies(perRun, { scheme: 'hmac-sha256', key: hmacMaterial(HMAC_KEY) }, 'hmac');
  const edBodies = bodies(perRun, edSigner, 'ed');
  const edDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flk-bench-keys-'));
  fs.writeFileSync(path.join(edDir, `${ed.kid}.json`), formatKeyFile(ed.verifier));

  const hmacEnv = { PCS_SIGN_ALG: 'hmac', PCS_HMAC_KEY: HMAC_KEY, DEDUP_BACKEND: 'memory' };
  const runs: Run[] = [
    {
      name: 'bare fastify route (JSON.parse only)',
      script: ['load/bare-server.ts'],
      env: {},
      bodies: hmacBodies,
    },
    {
      name: 'ingest, HMAC, group commit',
      script: ['backend/main.ts'],
      env: hmacEnv,
      bodies: hmacBodies,
    },
    {
      name: 'ingest, Ed25519, group commit',
      script: ['backend/main.ts'],
      env: { PCS_KEYS_DIR: edDir, DEDUP_BACKEND: 'memory' },
      bodies: edBodies,
    },
    {
      name: 'ingest, HMAC, one fsync per request',
      script: ['backend/main.ts'],
      env: { ...hmacEnv, WAL_SYNC: 'each' },
      bodies: hmacBodies,
    },
  ];

  const results: Result[] = [];
  for (const run of runs) {
    process.stderr.write(`running: ${run.name}\n`);
    results.push(await runOne(run));
  }
  fs.rmSync(edDir, { recursive: true, force: true });

  const bare = results[0]?.requestsPerSec ?? 1;
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
  const lines = [
    `Machine: ${machine}; ${CONNECTIONS} connections, ${SECONDS} s per run after a 2 s warm-up.`,
    '',
    '| run | req/s | vs bare | p50 ms | p99 ms | non-2xx | errors | peak RSS MiB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.name} | ${r.requestsPerSec} | ${(r.requestsPerSec / bare).toFixed(2)} | ${r.p50ms} | ${r.p99ms} | ${r.non2xx} | ${r.errors} | ${r.peakRssMiB} |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (values.out) fs.writeFileSync(values.out, JSON.stringify({ machine, results }, null, 2));
}

await main();
