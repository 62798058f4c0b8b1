import { ConfigError, loadConfig } from './config.ts';
import { SnapshotError } from './dedup/memory.ts';
import { createLogger } from './logger.ts';
import { ListenError, createBackend } from './server.ts';
import { TlsFilesError } from './tls/cert-source.ts';

/** `npm run backend`: the ingest server, configured from the environment. */
async function main(): Promise<void> {
  let cfg;
  try {
    cfg = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems)
      process.stderr.write(`flk-backend: invalid configuration: ${p}\n`);
    process.exit(2);
  }

  const log = createLogger(cfg.logLevel);
  const backend = await createBackend(cfg, log);
  const { url, adminUrl } = await backend.listen();
  log.info(
    {
      address: url,
      adminAddress: adminUrl ?? null,
      tls: cfg.tls ? (cfg.tls.clientCaFile ? 'mtls' : 'on') : 'off',
      dedup: cfg.dedupBackend,
      walDir: cfg.walDir,
      writer: cfg.podName,
      keyIds: backend.keys?.keyIds ?? [],
    },
    'backend listening',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: draining requests, flushing WAL, saving dedup state');
    backend.close().then(
      () => process.exit(0),
      (err: Error) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: Error) => {
  // A known start-up failure is one line that says what to do; anything else keeps its stack.
  const lines =
    err instanceof TlsFilesError
      ? err.problems
      : [
          err instanceof SnapshotError || err instanceof ListenError
            ? err.message
            : (err.stack ?? err.message),
        ];
  for (const line of lines) process.stderr.write(`flk-backend: failed to start: ${line}\n`);
  process.exit(1);
});
