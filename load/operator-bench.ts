/**
 * Operator benchmark (not a test): create N FractalLBAs at once and report
 *   - the time until every one is reconciled (status.observedGeneration = generation, with all
 *     of its children present),
 *   - the operator's API writes per resource, counted by the API server itself (an APF
 *     FlowSchema that matches only the operator's user; see test/e2e/helpers/write-attribution.ts),
 *   - the operator's peak memory (VmHWM),
 *   - the writes during ten resync periods with nothing changed (the floor is zero).
 *
 *   npm run bench:operator [-- --count 200 --resync 10s]
 *
 * Runs against $KUBECONFIG, or the local control plane (.flk/kubeconfig) when it is unset.
 */
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { parseDurationSeconds } from '../operator/api/duration.ts';
import {
  applyAsTest,
  createNamespace,
  installCrds,
  testClient,
} from '../test/e2e/helpers/cluster.ts';
import { fractalLBA } from '../test/e2e/helpers/fixtures.ts';
import { listChildren, getFractalLBA } from '../test/e2e/helpers/flk.ts';
import { OperatorProcess } from '../test/e2e/helpers/operator-process.ts';
import { attributeWrites } from '../test/e2e/helpers/write-attribution.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '200' },
    resync: { type: 'string', default: '10s' },
  },
});
const COUNT = Number(values.count);
const RESYNC_S = parseDurationSeconds(values.resync as string) ?? 10;

function peakRssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const kb = Number(
    /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0,
  );
  return Math.round(kb / 102.4) / 10;
}

async function main(): Promise<void> {
  const client = testClient();
  await installCrds(client);
  const ns = await createNamespace(client, 'flk-bench');
  const writes = await attributeWrites(client, `bench-${process.pid}`);
  const operator = await OperatorProcess.start({
    name: 'bench',
    namespaces: [ns.name],
    kubeconfig: writes.kubeconfig,
    extraEnv: { FLK_RESYNC: values.resync as string, LOG_LEVEL: 'warn' },
  });
  try {
    await operator.waitReady();
    const names = Array.from({ length: COUNT }, (_, i) => `bench-${String(i).padStart(3, '0')}`);
    const before = await writes.count();
    const t0 = performance.now();
    await Promise.all(
      names.map((n) => applyAsTest(client, fractalLBA(ns.name, n, { signing: { mode: 'none' } }))),
    );

    const pending = new Set(names);
    while (pending.size > 0) {
      for (const n of [...pending]) {
        const flk = await getFractalLBA(client, ns.name, n);
        const done = flk?.status?.observedGeneration === flk?.metadata.generation;
        if (done && (await listChildren(client, ns.name, n)).length > 0) pending.delete(n);
      }
      if (pending.size > 0) await new Promise((r) => setTimeout(r, 500));
      if (performance.now() - t0 > 30 * 60_000) throw new Error(`${pending.size} never reconciled`);
    }
    const convergeS = (performance.now() - t0) / 1000;
    const children = (await listChildren(client, ns.name, names[0] as string)).length;
    // Status follows the rollouts (and here the WAL claims stay Pending, so Deployments settle
    // on "not available"); the creation phase ends when a whole resync period passes unwritten.
    let last = await writes.count();
    for (let still = 0; still < 2;) {
      await new Promise((r) => setTimeout(r, (RESYNC_S * 1000) / 2));
      const now = await writes.count();
      still = now === last ? still + 1 : 0;
      last = now;
    }
    const settleS = (performance.now() - t0) / 1000;
    const created = last - before;

    const quietStart = await writes.count();
    await new Promise((r) => setTimeout(r, 10 * RESYNC_S * 1000));
    const quiet = (await writes.count()) - quietStart;

    const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
    process.stdout.write(
      [
        `Machine: ${machine}; ${COUNT} FractalLBAs (signing none, memory dedup, ${children} children each), resync ${values.resync}.`,
        '',
        '| measure | value |',
        '|---|---:|',
        `| time until all reconciled | ${convergeS.toFixed(1)} s |`,
        `| time until the operator stopped writing | ${settleS.toFixed(1)} s |`,
        `| operator API writes, total | ${created} |`,
        `| writes per FractalLBA (floor: ${children} children + 1 status) | ${(created / COUNT).toFixed(2)} |`,
        `| operator peak RSS | ${peakRssMiB(operator.pid)} MiB |`,
        `| writes during 10 resyncs with nothing changed | ${quiet} |`,
        '',
      ].join('\n'),
    );
  } finally {
    await operator.stop();
    await writes.remove();
    await ns.remove();
  }
}

await main();
