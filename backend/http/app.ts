import { timingSafeEqual, createHash } from 'node:crypto';
import Fastify, { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Ingest } from '../ingest/pipeline.ts';
import { TokenBucket } from '../ingest/rate-limit.ts';
import type { Metrics } from '../metrics.ts';
import { ApiError } from './errors.ts';

export const SUBMIT_ROUTE = '/v1/pcs/submit';

export interface AppOptions {
  ingest: Ingest;
  metrics: Metrics;
  log: Logger;
  bodyLimit: number;
  tokenRate: number;
  tokenBurst: number;
  metricsAuth?: { user: string; pass: string };
  /** Longest time a client may take to send a whole request (slow-body defence). */
  requestTimeoutMs: number;
  /** Reasons the backend is not ready; empty when it is. Checked on every /ready. */
  readiness: () => Promise<{ ready: boolean; detail: Record<string, unknown> }>;
}

let requestSeq = 0;

/** The HTTP surface: submit, health, readiness and metrics. No state of its own. */
export function buildApp(opts: AppOptions) {
  const app = Fastify({
    loggerInstance: opts.log,
    bodyLimit: opts.bodyLimit,
    // One line per request, written in onResponse with the route and status, instead of two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    requestIdHeader: 'x-request-id',
    genReqId: () => `r${(++requestSeq).toString(36)}`,
    return503OnClosing: true,
    clientErrorHandler: answerClientError,
    // Node enforces requestTimeout only at its connection-check interval (30 s by default), so
    // the check runs every second: a body trickled in a byte at a time is cut off close to the
    // limit rather than up to 30 s past it.
    requestTimeout: opts.requestTimeoutMs,
    http: {
      headersTimeout: Math.min(opts.requestTimeoutMs, 10_000),
      connectionsCheckingInterval: 1_000,
    },
  });
  // JSON is parsed by pcs/parse.ts from the raw bytes, after they reach the WAL. Fastify sees
  // every submit body as opaque bytes, so that even a body with a malformed Content-Type is
  // recorded before the ingest refuses it; the header as sent is kept for that decision.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.decorateRequest('declaredContentType', undefined);
  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.url !== SUBMIT_ROUTE) return;
    req.declaredContentType = req.headers['content-type'];
    req.headers['content-type'] = 'application/octet-stream';
  });

  const bucket = opts.tokenRate > 0 ? new TokenBucket(opts.tokenRate, opts.tokenBurst) : undefined;
  app.addHook('onRequest', async (req) => {
    if (!bucket || req.routeOptions.url !== SUBMIT_ROUTE) return;
    const t = bucket.take();
    if (t.ok) return;
    opts.metrics.rateLimited.inc();
    throw new ApiError(
      'rate_limited',
      'too many requests; retry later',
      undefined,
      t.retryAfterSeconds,
    );
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const status = String(reply.statusCode);
    opts.metrics.requestDuration.observe(
      { route, method: req.method, status },
      reply.elapsedTime / 1000,
    );
    opts.metrics.responses.inc({ route, status });
    const level = reply.statusCode >= 500 ? 'error' : reply.statusCode >= 400 ? 'info' : 'debug';
    req.log[level](
      {
        method: req.method,
        route,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100,
      },
      'request completed',
    );
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const apiErr = toApiError(err);
    if (apiErr.status >= 500 && apiErr.code === 'internal')
      req.log.error({ err }, 'request failed');
    else if (apiErr.status >= 500)
      req.log.error({ code: apiErr.code, reason: apiErr.message }, 'request refused');
    else
      req.log.info(
        { code: apiErr.code, field: apiErr.field, reason: apiErr.message },
        'request refused',
      );
    sendError(reply, apiErr);
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, new ApiError('not_found', `no route ${req.method} ${req.url}`)),
  );

  app.post(SUBMIT_ROUTE, async (req, reply) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const answer = await opts.ingest.submit(raw, req.declaredContentType, req.log);
    return reply.code(answer.status).send(answer.body);
  });

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

  return app;
}

export type App = ReturnType<typeof buildApp>;

declare module 'fastify' {
  interface FastifyRequest {
    /** The Content-Type header as the client sent it (the parser sees a neutral one). */
    declaredContentType: string | undefined;
  }
}

/**
 * Requests Node's HTTP parser refuses (both Content-Length and Transfer-Encoding, a bad header,
 * a timed-out body) still get the API's JSON error shape rather than a bare status line.
 */
function answerClientError(
  err: Error & { code?: string },
  socket: import('node:net').Socket,
): void {
  if (!socket.writable) return;
  const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const e = timedOut
    ? new ApiError('request_timeout', 'the request was not received in time')
    : new ApiError('bad_request', 'the request is not valid HTTP/1.1');
  const body = JSON.stringify(e.toBody());
  socket.end(
    `HTTP/1.1 ${e.status} ${timedOut ? 'Request Timeout' : 'Bad Request'}\r\n` +
      `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `connection: close\r\n\r\n${body}`,
    // Closed outright once written: a slow client that stops reading must not keep it open.
    () => socket.destroy(),
  );
}

function toApiError(err: Error & { statusCode?: number; code?: string }): ApiError {
  if (err instanceof ApiError) return err;
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return new ApiError('body_too_large', 'request body is larger than the configured limit');
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return new ApiError('unsupported_media_type', 'Content-Type must be application/json');
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
    return new ApiError('invalid_json', err.message);
  return new ApiError('internal', 'internal error');
}

function sendError(reply: FastifyReply, err: ApiError): FastifyReply {
  if (err.retryAfterSeconds !== undefined)
    reply.header('retry-after', String(err.retryAfterSeconds));
  return reply.code(err.status).send(err.toBody());
}

/** Compares digests so neither a wrong length nor a wrong prefix is visible in timing. */
function basicAuthMatches(req: FastifyRequest, want: { user: string; pass: string }): boolean {
  const header = req.headers.authorization ?? '';
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  const given = m ? Buffer.from(m[1] as string, 'base64').toString('utf8') : '';
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(`${want.user}:${want.pass}`));
}
