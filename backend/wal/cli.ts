import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import { parseDuration } from '../duration.ts';
import { Ingest } from '../ingest/pipeline.ts';
import { replayWal } from '../ingest/replay-wal.ts';
import { createLogger } from '../logger.ts';
import { createMetrics } from '../metrics.ts';
import { openStoreAndKeys } from '../server.ts';
import { compactWal } from './compact.ts';
import { inspectWal } from './reader.ts';

const USAGE = `usage: wal <command> [options]   (WAL_DIR or --dir names the WAL folder)
  inspect                      list every segment: records, time range, damage
  compact --retention 72h      delete closed segments older than the retention
          [--dry-run]          (the newest segment of each writer is never deleted)
  replay [--since 2h]          store outcomes of records that never reached the dedup store
                               (store and keys from the same environment as the backend)`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      retention: { type: 'string' },
      since: { type: 'string' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) return usage(values.help ? 0 : 2);
  const walDir = values.dir ?? process.env.WAL_DIR;
  if (!walDir) return fail('WAL_DIR: not set (or pass --dir)');

  switch (command) {
    case 'inspect': {
      for (const r of await inspectWal(walDir)) {
        const damage = r.damages.length
          ? r.damages.map((d) => ` damage@${d.offset}: ${d.reason} (${d.bytes} bytes)`).join('')
          : '';
        const span =
          r.firstMs === undefined
            ? ''
            : ` ${new Date(r.firstMs).toISOString()}..${new Date(r.lastMs as number).toISOString()}`;
        print(
          `${r.segment.writer}/${r.segment.path.split('/').pop()} ${r.segment.bytes}B ${r.records} records${span}${damage}`,
        );
      }
      return 0;
    }
    case 'compact': {
      if (!values.retention) return fail('--retention: required, e.g. --retention 72h');
      const retentionMs = parseDuration(values.retention);
      const res = await compactWal({ walDir, retentionMs, dryRun: values['dry-run'] });
      for (const s of res.deleted)
        print(`${values['dry-run'] ? 'would delete' : 'deleted'} ${s.path}`);
      print(
        `${res.deleted.length} segment(s) ${values['dry-run'] ? 'to delete' : 'deleted'}, ${res.kept.length} kept`,
      );
      return 0;
    }
    case 'replay': {
      const cfg = loadConfig({ ...process.env, WAL_DIR: walDir });
      const log = createLogger(cfg.logLevel, 'flk-wal');
      const metrics = createMetrics();
      const { store, keys } = await openStoreAndKeys(cfg, log, metrics);
      const readOnly = {
        append: () => Promise.reject(new Error('the wal command never appends to the WAL')),
      };
      const ingest = new Ingest({
        wal: readOnly,
        store,
        keys,
        tolerances: cfg.tolerances,
        dedupTtlMs: cfg.dedupTtlMs,
        metrics,
      });
      try {
        const sinceMs = values.since ? Date.now() - parseDuration(values.since) : undefined;
        const counts = await replayWal({ walDir, ingest, sinceMs, log });
        print(JSON.stringify(counts));
      } finally {
        keys?.close();
        await store.close();
      }
      return 0;
    }
    default:
      return usage(2);
  }
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function usage(code: number): number {
  (code === 0 ? process.stdout : process.stderr).write(`${USAGE}\n`);
  return code;
}

function fail(message: string): number {
  process.stderr.write(`wal: ${message}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    if (err instanceof ConfigError)
      for (const p of err.problems) process.stderr.write(`wal: ${p}\n`);
    else process.stderr.write(`wal: ${err.message}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
