/**
 * A small HTTPS client for tests that need what fetch does not offer in Node 20: a private CA,
 * a client certificate, a fresh handshake per request, and the certificate the server showed.
 */
import https from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface ClientTls {
  /** PEM CA bundle that the server certificate must chain to. */
  ca: string;
  /** PEM client certificate and key, for mTLS. */
  cert?: string;
  key?: string;
}

export interface HttpsAnswer {
  status: number;
  text: string;
  /** The body parsed as JSON, or the text when it is not JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers loosely
  json: Record<string, any>;
  /** SHA-256 fingerprint (`AB:CD:…`) of the certificate the server presented. */
  peerFingerprint256: string;
}

export interface RequestOptions {
  method?: string;
  path?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Gives up (and rejects) after this long; default 20 s. */
  timeoutMs?: number;
}

/**
 * One request on a new connection (no keep-alive, no session reuse), so every call makes its
 * own handshake. Rejects with the socket's error (its `code` says why) when the connection
 * fails before a response, which is what a refused client certificate looks like.
 */
export function httpsRequest(
  url: string,
  tls: ClientTls,
  opts: RequestOptions = {},
): Promise<HttpsAnswer> {
  const u = new URL(opts.path ?? '/', url);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: u.hostname.replace(/^\[|\]$/g, ''),
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method: opts.method ?? 'GET',
        headers: opts.headers,
        agent: false,
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        timeout: opts.timeoutMs ?? 20_000,
      },
      (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate();
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = text;
          }
          resolve({
            status: res.statusCode ?? 0,
            text,
            json: json as HttpsAnswer['json'],
            peerFingerprint256: peer.fingerprint256,
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} in time`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** POSTs a record to the submit route over HTTPS. */
export function submitTls(url: string, tls: ClientTls, body: string): Promise<HttpsAnswer> {
  return httpsRequest(url, tls, {
    method: 'POST',
    path: '/v1/pcs/submit',
    body,
    headers: { 'content-type': 'application/json' },
  });
}
