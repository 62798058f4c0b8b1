import path from 'node:path';
import type tls from 'node:tls';
import type { Logger } from 'pino';
import type { TlsConfig } from '../config.ts';
import type { Metrics } from '../metrics.ts';
import { WatchedReload, type ReadResult } from '../reload/watched-reload.ts';
import { readTlsMaterial, type TlsMaterial } from './material.ts';

/** The TLS files could not be used at start; each problem names the variable and the file. */
export class TlsFilesError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'TlsFilesError';
  }
}

export interface CertSourceOptions {
  files: TlsConfig;
  log: Logger;
  metrics: Metrics;
}

/**
 * The serving certificate (and client CA bundle) in force, reloaded when kubelet swaps the
 * mounted Secret. Unlike the verifier keys, a read that still has a problem after its retries is
 * never applied: the previous certificate keeps serving, so there is no moment without one, and
 * the refusal is logged and counted (flk_tls_reload_errors_total) at every poll until the files
 * are fixed. A good read replaces the context of every attached server at once; connections
 * already open keep the certificate they were made with.
 */
export class CertSource {
  private current: TlsMaterial | undefined;
  private readonly servers: tls.Server[] = [];
  private readonly reloader: WatchedReload<TlsMaterial | undefined>;

  private constructor(private readonly opts: CertSourceOptions) {
    const { certFile, keyFile, clientCaFile } = opts.files;
    const files = [certFile, keyFile, ...(clientCaFile ? [clientCaFile] : [])];
    this.reloader = new WatchedReload({
      dirs: [...new Set(files.map((f) => path.dirname(f)))],
      pollMs: opts.files.pollMs,
      log: opts.log,
      read: () => readTlsMaterial(opts.files),
      settle: (r) => this.settle(r),
    });
  }

  /** Reads the files once (with retries) and starts watching; throws TlsFilesError when unusable. */
  static async start(opts: CertSourceOptions): Promise<CertSource> {
    const src = new CertSource(opts);
    const first = await src.reloader.start();
    if (!src.current) {
      src.close();
      throw new TlsFilesError(first.problems);
    }
    return src;
  }

  /** Whether clients must present a certificate signed by TLS_CLIENT_CA_FILE. */
  get mtls(): boolean {
    return this.opts.files.clientCaFile !== undefined;
  }

  /** The certificate, key and CA in force, as tls.createServer options. */
  get context(): TlsMaterial['context'] {
    return (this.current as TlsMaterial).context;
  }

  /** A server that receives every later certificate through setSecureContext. */
  attach(server: tls.Server): void {
    this.servers.push(server);
  }

  /** Reads the files now; concurrent callers share one reload. */
  async reload(): Promise<void> {
    await this.reloader.reload();
  }

  close(): void {
    this.reloader.close();
  }

  private settle({ value, problems }: ReadResult<TlsMaterial | undefined>): void {
    // At start, the caller turns the problems into a refusal to start.
    if (!this.current && !value) return;
    if (!value || problems.length > 0) {
      this.refuse(problems);
      return;
    }
    if (value.digest === this.current?.digest) return;
    // A renewal that wrote an expired certificate must not replace one that still works. At
    // start there is nothing better to serve, so it is loaded with a warning instead.
    if (this.current && value.servingNotAfter * 1000 < Date.now()) {
      this.refuse([
        `TLS_CERT_FILE (${this.opts.files.certFile}): certificate chain expired at ${new Date(value.servingNotAfter * 1000).toISOString()}`,
      ]);
      return;
    }

    const first = !this.current;
    try {
      for (const s of this.servers) s.setSecureContext(value.context);
    } catch (err) {
      // Already built once in readTlsMaterial, so this is not expected; the old context stays.
      this.refuse([`setSecureContext: ${(err as Error).message}`]);
      return;
    }
    this.current = value;
    this.record(value, first);
  }

  private refuse(problems: string[]): void {
    this.opts.metrics.tlsReloadErrors.inc();
    this.opts.log.error(
      { errors: problems, inForce: this.current?.serving[0]?.fingerprint256 },
      'TLS files refused; the previous certificate stays in force',
    );
  }

  private record(m: TlsMaterial, first: boolean): void {
    const g = this.opts.metrics.tlsCertNotAfter;
    g.set({ cert: 'serving' }, m.servingNotAfter);
    if (m.clientCaNotAfter !== undefined) g.set({ cert: 'client_ca' }, m.clientCaNotAfter);

    const fields = { serving: m.serving, clientCa: m.clientCa, mtls: this.mtls };
    this.opts.log.info(fields, first ? 'TLS certificate loaded' : 'TLS certificate reloaded');
    if (m.servingNotAfter * 1000 < Date.now())
      this.opts.log.warn(
        { notAfter: m.serving[0]?.notAfter },
        'serving certificate has expired; clients will refuse it',
      );
  }
}
