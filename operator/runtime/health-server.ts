import http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Registry } from 'prom-client';

/** One readiness check: `undefined` when ready, else why not. */
export type ReadinessCheck = () => string | undefined;

export interface HealthServerOptions {
  host: string;
  port: number;
  registry: Registry;
  readiness: ReadinessCheck[];
  /** False once the process is shutting down; /healthz then fails too. */
  alive?: () => boolean;
}

/**
 * `/healthz` (the process serves), `/readyz` (every readiness check passes; the body lists the
 * ones that do not) and `/metrics` (Prometheus text). Nothing else is served.
 */
export class HealthServer {
  private readonly server: http.Server;

  constructor(private readonly options: HealthServerOptions) {
    this.server = http.createServer((req, res) => {
      void this.handle(req, res);
    });
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'method not allowed\n');
      return;
    }

    switch (path) {
      case '/healthz': {
        const alive = this.options.alive?.() ?? true;
        send(res, alive ? 200 : 503, alive ? 'ok\n' : 'shutting down\n');
        return;
      }
      case '/readyz': {
        const failing = this.options.readiness
          .map((check) => check())
          .filter((r) => r !== undefined);
        send(
          res,
          failing.length === 0 ? 200 : 503,
          failing.length === 0 ? 'ok\n' : `${failing.join('\n')}\n`,
        );
        return;
      }
      case '/metrics': {
        try {
          const body = await this.options.registry.metrics();
          send(res, 200, body, this.options.registry.contentType);
        } catch {
          send(res, 500, 'could not collect metrics\n');
        }
        return;
      }
      default:
        send(res, 404, 'not found\n');
    }
  }
}

function send(
  res: http.ServerResponse,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
) {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
