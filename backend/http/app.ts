import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type RawServerDefault,
} from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Ingest } from '../ingest/pipeline.ts';
import { TokenBucket } from '../ingest/rate-limit.ts';
import { clientErrorHandler } from './client-error.ts';
import { ApiError } from './errors.ts';
import { registerProbes, type ProbeOptions } from './probes.ts';
import {
  childLoggerWithClient,
  clientCaOutdated,
  httpsServerFactory,
  type TlsServing,
} from './tls-server.ts';

export const SUBMIT_ROUTE = '/v1/pcs/submit';

export interface AppOptions extends ProbeOptions {
  ingest: Ingest;
  bodyLimit: number;
  tokenRate: number;
  tokenBurst: number;
  /** HTTPS (and mTLS when it says so); absent: plain HTTP. */
  tls?: TlsServing;
}

/** Fastify's default, spelled out because the HTTPS server is built here rather than by Fastify. */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;

let requestSeq = 0;

/** The ingest surface: submit, health, readiness and metrics. No state of its own. */
export function buildApp(opts: AppOptions): App {
  const app = baseApp(opts, { bodyLimit: opts.bodyLimit, tls: opts.tls });
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

  // A request in flight when a new client CA bundle came into force is answered, then its
  // connection is closed: the client's next request makes a new handshake, checked against the
  // bundle in force (tls-server.ts closes the idle connections and refuses later requests).
  if (opts.tls?.mtls)
    app.addHook('onSend', async (req, reply) => {
      if (clientCaOutdated(req.raw.socket)) reply.header('connection', 'close');
    });

  app.post(SUBMIT_ROUTE, async (req, reply) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const answer = await opts.ingest.submit(raw, req.declaredContentType, req.log);
    return reply.code(answer.status).send(answer.body);
  });
  registerProbes(app, opts);
  return app;
}

/**
 * The admin surface (ADMIN_PORT): health, readiness and metrics only, always plain HTTP, for
 * kubelet and Prometheus, which have no client certificate when the ingest requires one.
 */
export function buildAdminApp(opts: ProbeOptions): App {
  const app = baseApp({ ...opts, log: opts.log.child({ listener: 'admin' }) }, { bodyLimit: 1024 });
  registerProbes(app, opts);
  return app;
}

/** Typed as a plain HTTP app either way: an https.Server is an http.Server with TLS around it. */
export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, Logger>;

/** What both listeners share: timeouts, request ids, the request log line, error shapes. */
function baseApp(opts: ProbeOptions, o: { bodyLimit: number; tls?: TlsServing }): App {
  const timeouts = {
    requestTimeoutMs: opts.requestTimeoutMs,
    headersTimeoutMs: Math.min(opts.requestTimeoutMs, 10_000),
    keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
    // Node enforces requestTimeout only at its connection-check interval (30 s by default), so
    // the check runs every second: a body trickled in a byte at a time is cut off close to the
    // limit rather than up to 30 s past it.
    connectionsCheckingIntervalMs: 1_000,
  };
  const app = Fastify({
    loggerInstance: opts.log,
    bodyLimit: o.bodyLimit,
    // One line per request, written in onResponse with the route and status, instead of two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    requestIdHeader: 'x-request-id',
    genReqId: () => `r${(++requestSeq).toString(36)}`,
    return503OnClosing: true,
    clientErrorHandler: clientErrorHandler(opts),
    requestTimeout: timeouts.requestTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    ...(o.tls
      ? {
          serverFactory: httpsServerFactory(o.tls, timeouts),
          ...(o.tls.mtls && { childLoggerFactory: childLoggerWithClient }),
        }
      : {
          http: {
            headersTimeout: timeouts.headersTimeoutMs,
            connectionsCheckingInterval: timeouts.connectionsCheckingIntervalMs,
          },
        }),
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
  return app;
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

declare module 'fastify' {
  interface FastifyRequest {
    /** The Content-Type header as the client sent it (the parser sees a neutral one). */
    declaredContentType: string | undefined;
  }
}
