import https from 'node:https';
import type net from 'node:net';
import tls from 'node:tls';
import type { FastifyBaseLogger, FastifyServerFactory } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { distinguishedName } from '../tls/material.ts';

/** What the HTTPS listener needs from the certificate source (backend/tls/cert-source.ts). */
export interface TlsServing {
  /** Client certificates are required and verified against the CA bundle. */
  readonly mtls: boolean;
  /** The certificate, key and CA bundle in force now. */
  readonly context: tls.SecureContextOptions;
  /** Registers the server so later certificates reach it through setSecureContext. */
  attach(server: tls.Server): void;
}

export interface HttpTimeouts {
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  connectionsCheckingIntervalMs: number;
}

/**
 * Sockets that finished the handshake, with the verified client's subject (null without mTLS).
 * Filled once per connection, so a keep-alive connection's requests reuse it, and weak, so a
 * closed socket takes its entry with it.
 */
const established = new WeakMap<tls.TLSSocket, string | null>();

/**
 * Builds the HTTPS server for Fastify. Fastify's own `https` option builds the server from that
 * object alone and ignores `http` (headersTimeout, connectionsCheckingInterval), and it types the
 * app as an https server; building it here keeps every timeout, adds a handshake timeout, and
 * hands the server to the certificate source. With a factory Fastify binds one address only (no
 * second server for `localhost`), so this server is the one every reload must reach.
 */
export function httpsServerFactory(serving: TlsServing, t: HttpTimeouts): FastifyServerFactory {
  return (handler) => {
    const server = https.createServer(
      {
        ...serving.context,
        requestCert: serving.mtls,
        rejectUnauthorized: serving.mtls,
        // A client that opens a socket and never finishes the handshake must not hold it long.
        handshakeTimeout: t.headersTimeoutMs,
        requestTimeout: t.requestTimeoutMs,
        headersTimeout: t.headersTimeoutMs,
        connectionsCheckingInterval: t.connectionsCheckingIntervalMs,
      },
      handler,
    );
    server.keepAliveTimeout = t.keepAliveTimeoutMs;
    // Ahead of Node's own listener, which starts the HTTP parser on the socket: the identity is
    // there before the first request can be read.
    server.prependListener('secureConnection', (socket: tls.TLSSocket) => {
      established.set(socket, serving.mtls ? subjectOf(socket) : null);
    });
    serving.attach(server);
    return server;
  };
}

function subjectOf(socket: tls.TLSSocket): string | null {
  const cert = socket.getPeerX509Certificate();
  return cert ? distinguishedName(cert.subject) : null;
}

/** The verified client certificate's subject on this connection, if any. */
export function clientSubject(socket: net.Socket): string | undefined {
  return (socket instanceof tls.TLSSocket && established.get(socket)) || undefined;
}

/** Each request's logger carries the client's subject, so ingest lines name the agent too. */
export function childLoggerWithClient(
  logger: FastifyBaseLogger,
  bindings: Record<string, unknown>,
  opts: Parameters<FastifyBaseLogger['child']>[1],
  req: IncomingMessage,
): FastifyBaseLogger {
  const client = clientSubject(req.socket);
  return logger.child(client ? { ...bindings, client } : bindings, opts);
}

export type HandshakeFailure =
  'client_cert_missing' | 'client_cert_untrusted' | 'timeout' | 'not_tls' | 'other';

/**
 * A client error on a TLS socket that never finished its handshake: there is no HTTP to
 * answer with. Undefined for everything else (HTTP parse errors after the handshake).
 */
export function handshakeFailure(
  err: Error & { code?: string },
  socket: net.Socket,
): HandshakeFailure | undefined {
  if (!(socket instanceof tls.TLSSocket) || established.has(socket)) return undefined;
  // Node verifies the client chain after OpenSSL's handshake and destroys the socket itself, so
  // the error seen here is a reset; the verification result is on the socket.
  if (socket.authorizationError) return 'client_cert_untrusted';
  switch (err.code) {
    case 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE':
      return 'client_cert_missing';
    case 'ERR_TLS_HANDSHAKE_TIMEOUT':
      return 'timeout';
    case 'ERR_SSL_HTTP_REQUEST':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return 'not_tls';
    default:
      return 'other';
  }
}
