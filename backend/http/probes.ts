import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.ts';
import type { App } from './app.ts';
import { ApiError } from './errors.ts';

/** What the probe and metrics routes need; both listeners serve them. */
export interface ProbeOptions {
  metrics: Metrics;
  log: Logger;
  metricsAuth?: { user: string; pass: string };
  /** Longest time a client may take to send a whole request (slow-body defence). */
  requestTimeoutMs: number;
  /** Reasons the backend is not ready; empty when it is. Checked on every /ready. */
  readiness: () => Promise<{ ready: boolean; detail: Record<string, unknown> }>;
}

/** GET /health (liveness), /ready (stores, keys, WAL, replay) and /metrics (optional Basic Auth). */
export function registerProbes(app: App, opts: ProbeOptions): void {
  app.get('/health', async (_req, reply) => reply.type('text/plain').send('OK'));

  app.get('/ready', async (_req, reply) => {
    const r = await opts.readiness();
    return reply.code(r.ready ? 200 : 503).send({ ready: r.ready, ...r.detail });
  });

  app.get('/metrics', async (req, reply) => {
    if (opts.metricsAuth && !basicAuthMatches(req, opts.metricsAuth)) {
      reply.header('www-authenticate', 'Basic realm="flk-metrics"');
      throw new ApiError('metrics_unauthorized', 'metrics need Basic Auth credentials');
    }
    return reply
      .type(opts.metrics.registry.contentType)
      .send(await opts.metrics.registry.metrics());
  });
}

/** Compares digests so neither a wrong length nor a wrong prefix is visible in timing. */
function basicAuthMatches(req: FastifyRequest, want: { user: string; pass: string }): boolean {
  const header = req.headers.authorization ?? '';
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  const given = m ? Buffer.from(m[1] as string, 'base64').toString('utf8') : '';
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(`${want.user}:${want.pass}`));
}
