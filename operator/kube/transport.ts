import http from 'node:http';
import https from 'node:https';

import type { KubeConfig } from '@kubernetes/client-node';

import { KubeApiError } from './errors.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  method: HttpMethod;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
  /** Return the body as text instead of parsing it as JSON (for /metrics). */
  rawText?: boolean;
}

export const APPLY_PATCH = 'application/apply-patch+yaml';
export const MERGE_PATCH = 'application/merge-patch+json';

export interface KubeClientOptions {
  userAgent?: string;
  /** Deadline of one request; watches do not go through this client. */
  timeoutMs?: number;
}

/**
 * HTTP to the API server with the credentials of a client-node KubeConfig, which does the hard
 * part (kubeconfig files, in-cluster service account, exec and token-file auth, impersonation),
 * over one keep-alive agent (client-node makes a new TLS connection per request). Answers are
 * the server's JSON, untouched; a failure becomes a {@link KubeApiError} carrying its Status.
 */
export class KubeTransport {
  private agent: http.Agent | undefined;

  constructor(
    private readonly kc: KubeConfig,
    private readonly options: KubeClientOptions = {},
  ) {}

  get server(): string {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    return cluster.server;
  }

  async request<T>(opts: RequestOptions): Promise<T> {
    const url = new URL(this.server.replace(/\/+$/, '') + opts.path);
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }

    const tls: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(tls);
    const headers: Record<string, string> = {
      Accept: opts.rawText ? 'text/plain' : 'application/json',
      'User-Agent': this.options.userAgent ?? 'flk-operator',
    };
    for (const [k, v] of Object.entries(tls.headers ?? {})) {
      if (typeof v === 'string' || typeof v === 'number') headers[k] = String(v);
    }
    if (tls.auth) headers.Authorization = `Basic ${Buffer.from(tls.auth).toString('base64')}`;

    let payload: Buffer | undefined;
    if (opts.body !== undefined) {
      payload = Buffer.from(JSON.stringify(opts.body));
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }

    const { status, body } = await this.send(url, opts, headers, payload, tls);
    if (status >= 400) throw toApiError(status, body, opts);
    if (opts.rawText) return body as T;
    return (body.length > 0 ? JSON.parse(body) : {}) as T;
  }

  /** Closes idle keep-alive connections, so the process can exit. */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }

  private agentFor(url: URL, tls: https.RequestOptions): http.Agent {
    if (this.agent) return this.agent;
    this.agent =
      url.protocol === 'http:'
        ? new http.Agent({ keepAlive: true })
        : new https.Agent({
            keepAlive: true,
            ca: tls.ca,
            cert: tls.cert,
            key: tls.key,
            pfx: tls.pfx,
            passphrase: tls.passphrase,
            servername: tls.servername,
            rejectUnauthorized: tls.rejectUnauthorized,
          });
    return this.agent;
  }

  private send(
    url: URL,
    opts: RequestOptions,
    headers: Record<string, string>,
    payload: Buffer | undefined,
    tls: https.RequestOptions,
  ): Promise<{ status: number; body: string }> {
    const transport = url.protocol === 'http:' ? http : https;
    const timeoutMs = opts.timeoutMs ?? this.options.timeoutMs ?? 30_000;

    return new Promise((resolve, reject) => {
      const req = transport.request(
        url,
        { method: opts.method, headers, agent: this.agentFor(url, tls), timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
        },
      );
      req.on('timeout', () => {
        req.destroy(new Error(`${opts.method} ${url.pathname} timed out after ${timeoutMs} ms`));
      });
      req.on('error', reject);
      req.end(payload);
    });
  }
}

function toApiError(status: number, body: string, opts: RequestOptions): KubeApiError {
  let message = body.slice(0, 500) || `HTTP ${status}`;
  let reason: string | undefined;
  try {
    const parsed = JSON.parse(body) as { message?: string; reason?: string };
    if (parsed.message) message = parsed.message;
    reason = parsed.reason;
  } catch {
    // Not a Status object (a proxy's error page, say): keep the start of the raw body.
  }
  return new KubeApiError(status, message, reason, opts.method, opts.path);
}
