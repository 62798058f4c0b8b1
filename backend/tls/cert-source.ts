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

/** How many CA summaries a reload line lists; the rest are only counted. */
const LOGGED_CA_CERTS = 10;

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
  private readonly clientCaListeners: Array<() => void> = [];
  private caGeneration = 0;
  private readonly reloader: WatchedReload<TlsMaterial | undefined>;

  private constructor(private readonly opts: CertSourceOptions) {
    const { certFile, keyFile, clientCaFile } = opts.files;
    const files = [certFile, keyFile, ...(clientCaFile ? [clientCaFile] : [])];
    this.reloader = new WatchedReload({
      dirs: [...new Set(files.map((f) => path.dirname(f)))],
      pollMs: opts.files.pollMs,
      log: opts.log,
      read: () => this.read(),
      settle: (r) => this.settle(r),
    });
  }

  /** Reads the files once (with retries) and starts watching; throws TlsFilesError when unusable. */
  static async start(opts: CertSourceOptions): Promise<CertSource> {
    const src = new CertSource(opts);
    const first = await src.reloader.start(() => src.current !== undefined);
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

  /**
   * Counts the client CA bundles put in force: a connection whose handshake was checked against
   * an earlier one was let in by a bundle that may no longer trust it.
   */
  get clientCaGeneration(): number {
    return this.caGeneration;
  }

  /**
   * A server that receives every later certificate through setSecureContext; `onClientCaChange`
   * runs right after a new client CA bundle is in force (to close the connections it did not
   * check).
   */
  attach(server: tls.Server, onClientCaChange?: () => void): void {
    this.servers.push(server);
    if (onClientCaChange) this.clientCaListeners.push(onClientCaChange);
  }

  /** Reads the files now; concurrent callers share one reload. */
  async reload(): Promise<void> {
    await this.reloader.reload();
  }

  close(): void {
    this.reloader.close();
  }

  /** readTlsMaterial should only report problems; anything it throws is refused the same way. */
  private async read(): Promise<ReadResult<TlsMaterial | undefined>> {
    try {
      return await readTlsMaterial(this.opts.files, this.current);
    } catch (err) {
      const e = err as { code?: unknown; name?: unknown };
      const why = typeof e.code === 'string' ? e.code : String(e.name ?? 'error');
      return {
        value: undefined,
        problems: [`TLS_CERT_FILE (${this.opts.files.certFile}): files not usable (${why})`],
      };
    }
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
    // Likewise a certificate that is not valid yet (issued for later, or by a CA whose clock is
    // ahead): every client would refuse it until then. The poll applies it once it is valid.
    if (this.current && value.servingNotBefore * 1000 > Date.now()) {
      this.refuse([
        `TLS_CERT_FILE (${this.opts.files.certFile}): certificate chain not valid before ${new Date(value.servingNotBefore * 1000).toISOString()}`,
      ]);
      return;
    }

    const first = !this.current;
    const caChanged = !first && !sameBytes(this.current?.context.ca, value.context.ca);
    try {
      for (const s of this.servers) s.setSecureContext(value.context);
    } catch (err) {
      // Already built once in readTlsMaterial, so this is not expected; the old context stays.
      this.refuse([`setSecureContext: ${(err as Error).message}`]);
      return;
    }
    this.current = value;
    // In the same tick as setSecureContext: a connection accepted from now on is checked
    // against the new bundle, and one accepted before counts as checked against the old one.
    if (caChanged) this.caGeneration++;
    this.record(value, first, caChanged);
    if (caChanged) for (const l of this.clientCaListeners) l();
  }

  private refuse(problems: string[]): void {
    this.opts.metrics.tlsReloadErrors.inc();
    this.opts.log.error(
      { errors: problems, inForce: this.current?.serving[0]?.fingerprint256 },
      'TLS files refused; the previous certificate stays in force',
    );
  }

  private record(m: TlsMaterial, first: boolean, clientCaChanged: boolean): void {
    const g = this.opts.metrics.tlsCertNotAfter;
    g.set({ cert: 'serving' }, m.servingNotAfter);
    if (m.clientCaNotAfter !== undefined) g.set({ cert: 'client_ca' }, m.clientCaNotAfter);

    // A bundle can hold a thousand CAs; the line stays short and says how many there are.
    const fields = {
      serving: m.serving,
      clientCa: m.clientCa.slice(0, LOGGED_CA_CERTS),
      clientCaCount: m.clientCa.length,
      mtls: this.mtls,
      ...(clientCaChanged && { clientCaChanged }),
    };
    this.opts.log.info(fields, first ? 'TLS certificate loaded' : 'TLS certificate reloaded');
    if (m.servingNotAfter * 1000 < Date.now())
      this.opts.log.warn(
        { notAfter: m.serving[0]?.notAfter },
        'serving certificate has expired; clients will refuse it',
      );
    else if (m.servingNotBefore * 1000 > Date.now())
      this.opts.log.warn(
        { notBefore: new Date(m.servingNotBefore * 1000).toISOString() },
        'serving certificate is not valid yet; clients will refuse it until then',
      );
  }
}

function sameBytes(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.equals(b));
}
