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
  /** Changes each time a reload puts a different client CA bundle in force. */
  readonly clientCaGeneration: number;
  /**
   * Registers the server so later certificates reach it through setSecureContext;
   * `onClientCaChange` runs once a different client CA bundle is in force.
   */
  attach(server: tls.Server, onClientCaChange?: () => void): void;
}

export interface HttpTimeouts {
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  connectionsCheckingIntervalMs: number;
}

interface Established {
  /** The verified client's subject (null without mTLS). */
  client: string | null;
  /** The client CA bundle its certificate was checked against (TlsServing.clientCaGeneration). */
  caGeneration: number;
  serving: TlsServing;
}

/**
 * Sockets that finished the handshake. Filled once per connection, so a keep-alive
 * connection's requests reuse it, and weak, so a closed socket takes its entry with it.
 */
const established = new WeakMap<tls.TLSSocket, Established>();

/**
 * TCP connections as accepted, before their handshake: the peer address, which a TLS socket
 * Node destroyed over a refused certificate no longer reports, and the client CA bundle in
 * force when its TLS socket was made (which is the one its handshake is checked against, even
 * when a reload lands before the handshake finishes).
 */
const accepted = new WeakMap<net.Socket, { remote: string | undefined; caGeneration: number }>();

/** Node keeps the TCP socket a server-side TLS socket wraps as `_parent`; nothing public has it. */
function acceptedAs(socket: tls.TLSSocket) {
  const raw = (socket as unknown as { _parent?: net.Socket })._parent;
  return raw && accepted.get(raw);
}

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
      (req, res) => {
        // The connection was let in by a client CA bundle no longer in force (its handshake was
        // under way at the reload, or it pipelined): it may not be trusted any more. Closed
        // before the request reaches Fastify, like a refused handshake; the client reconnects
        // and is checked against the bundle in force.
        if (clientCaOutdated(req.socket)) req.socket.destroy();
        else handler(req, res);
      },
    );
    server.keepAliveTimeout = t.keepAliveTimeoutMs;
    // Ahead of Node's own listener, which makes the TLS socket with the context in force.
    server.prependListener('connection', (raw: net.Socket) => {
      accepted.set(raw, { remote: raw.remoteAddress, caGeneration: serving.clientCaGeneration });
    });
    // Ahead of Node's own listener, which starts the HTTP parser on the socket: the identity is
    // there before the first request can be read.
    server.prependListener('secureConnection', (socket: tls.TLSSocket) => {
      // No TLS 1.2 renegotiation: the identity below is worked out once, and a renegotiation
      // could present another certificate. An attempt is a socket error, answered and closed
      // by the client-error handler. HTTP/1.1 clients have no use for it.
      socket.disableRenegotiation();
      established.set(socket, {
        client: serving.mtls ? subjectOf(socket) : null,
        caGeneration: acceptedAs(socket)?.caGeneration ?? serving.clientCaGeneration,
        serving,
      });
    });
    // A keep-alive connection is never checked again: without this, an agent whose CA was taken
    // out of the bundle would keep sending on the connection it has, for as long as it stays
    // busy. Idle connections go now; busy ones after their response (`connection: close`, see
    // app.ts), and any request they start later is refused above.
    serving.attach(server, serving.mtls ? () => server.closeIdleConnections() : undefined);
    return server;
  };
}

function subjectOf(socket: tls.TLSSocket): string | null {
  const cert = socket.getPeerX509Certificate();
  return cert ? distinguishedName(cert.subject) : null;
}

/** The verified client certificate's subject on this connection, if any. */
export function clientSubject(socket: net.Socket): string | undefined {
  return (socket instanceof tls.TLSSocket && established.get(socket)?.client) || undefined;
}

/**
 * Whether this mTLS connection's client certificate was checked against a client CA bundle
 * that a reload has since replaced. Such a connection serves no new request.
 */
export function clientCaOutdated(socket: net.Socket): boolean {
  const e = socket instanceof tls.TLSSocket ? established.get(socket) : undefined;
  return e !== undefined && e.serving.mtls && e.caGeneration !== e.serving.clientCaGeneration;
}

/** The peer's address, also for a TLS socket that Node already destroyed in its handshake. */
export function remoteAddress(socket: net.Socket): string | undefined {
  return (
    socket.remoteAddress ??
    (socket instanceof tls.TLSSocket ? acceptedAs(socket)?.remote : undefined)
  );
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
