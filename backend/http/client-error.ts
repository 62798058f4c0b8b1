import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.ts';
import { ApiError } from './errors.ts';
import { handshakeFailure, remoteAddress } from './tls-server.ts';

/**
 * Requests Node's HTTP parser refuses (both Content-Length and Transfer-Encoding, a bad header,
 * a timed-out body) still get the API's JSON error shape rather than a bare status line. On the
 * HTTPS listener a failed handshake arrives here too; there is no HTTP on such a socket to
 * answer with, so it is counted, logged and closed.
 */
export function clientErrorHandler(opts: { metrics: Metrics; log: Logger }) {
  return (err: Error & { code?: string }, socket: Socket): void => {
    const tlsFailure = handshakeFailure(err, socket);
    if (tlsFailure) {
      opts.metrics.tlsHandshakeFailures.inc({ reason: tlsFailure });
      // A refused certificate is worth a line (an agent is misconfigured); resets, scanners and
      // TCP health checks are only counted unless debug logging is on.
      const level = tlsFailure.startsWith('client_cert') ? 'info' : 'debug';
      // For a refused certificate the error is the reset of the socket Node destroyed; OpenSSL's
      // verdict (CERT_HAS_EXPIRED, UNABLE_TO_VERIFY_LEAF_SIGNATURE, …) says what is wrong.
      const verifyError = (socket as { authorizationError?: unknown }).authorizationError;
      opts.log[level](
        {
          reason: tlsFailure,
          code: err.code,
          ...(typeof verifyError === 'string' && { verifyError }),
          remote: remoteAddress(socket),
        },
        'TLS handshake refused',
      );
      socket.destroy();
      return;
    }
    answerHttpError(err, socket);
  };
}

function answerHttpError(err: Error & { code?: string }, socket: Socket): void {
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
