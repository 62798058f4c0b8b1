import {
  X509Certificate,
  constants,
  createHash,
  createPrivateKey,
  type KeyObject,
} from 'node:crypto';
import fs from 'node:fs/promises';
import tls from 'node:tls';
import type { TlsConfig } from '../config.ts';
import type { ReadResult } from '../reload/watched-reload.ts';

/** What a log line and a metric may say about a certificate: never its PEM. */
export interface CertSummary {
  subject: string;
  issuer: string;
  serial: string;
  notAfter: string;
  fingerprint256: string;
}

/** One consistent read of the TLS files, already proven to build a secure context. */
export interface TlsMaterial {
  /**
   * For tls.createServer and server.setSecureContext. It carries the TLS options too:
   * setSecureContext takes every option from its argument, so options given only to
   * createServer would be dropped at the first reload.
   */
  context: { cert: Buffer; key: Buffer; ca?: Buffer; secureOptions: number };
  /** The serving chain, leaf first. */
  serving: CertSummary[];
  /** The client CA bundle (empty without mTLS). */
  clientCa: CertSummary[];
  /** Earliest notAfter of each file, unix seconds. */
  servingNotAfter: number;
  /** Latest notBefore of the serving chain, unix seconds: before it, clients refuse the chain. */
  servingNotBefore: number;
  clientCaNotAfter?: number;
  /** Hash of the three files' bytes: an unchanged poll is recognised without rebuilding. */
  digest: string;
}

type Files = Pick<TlsConfig, 'certFile' | 'keyFile' | 'clientCaFile'>;

const PEM_CERT = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/**
 * No file of a Kubernetes Secret can be larger (the whole Secret is limited to 1 MiB). Anything
 * bigger is not a certificate mount, and is not read into memory at every poll.
 */
export const MAX_TLS_FILE_BYTES = 1024 * 1024;

/**
 * Longest certificate name a log line carries. A CA can sign a subject of many kilobytes (only
 * the TLS certificate list limit, about 100 KB, bounds it), and the `client` field is on every
 * request line of that agent.
 */
export const MAX_NAME_CHARS = 256;

/**
 * With client certificates, no TLS session resumption: a resumed session skips the certificate
 * check, so an agent whose certificate expired could come back with a ticket from before (for
 * the ticket's lifetime, 300 s in Node). Renegotiation is refused per socket instead
 * (tls-server.ts): OpenSSL's SSL_OP_NO_RENEGOTIATION leaves Node's server socket open for good
 * once the client goes away.
 */
const MTLS_OPTIONS = constants.SSL_OP_NO_TICKET;

/**
 * Reads and checks the serving certificate, its key and the client CA bundle. Every problem is
 * one line naming the variable and the file, with an error code rather than any file content,
 * so it is safe in a log and on stderr. A mismatched pair is what a read during kubelet's swap
 * looks like (new certificate, old key), which is why the caller retries.
 */
export async function readTlsMaterial(
  files: Files,
  /** The material in force: files with the same bytes give it back without parsing anything. */
  inForce?: TlsMaterial,
): Promise<ReadResult<TlsMaterial | undefined>> {
  const problems: string[] = [];
  const read = async (variable: string, file: string) => {
    try {
      const fh = await fs.open(file, 'r');
      try {
        if ((await fh.stat()).size > MAX_TLS_FILE_BYTES) {
          problems.push(`${variable} (${file}): larger than 1 MiB, the limit of a Secret`);
          return undefined;
        }
        return await fh.readFile();
      } finally {
        await fh.close();
      }
    } catch (err) {
      problems.push(`${variable} (${file}): cannot read (${errCode(err)})`);
      return undefined;
    }
  };
  const [cert, key, ca] = await Promise.all([
    read('TLS_CERT_FILE', files.certFile),
    read('TLS_KEY_FILE', files.keyFile),
    files.clientCaFile === undefined ? undefined : read('TLS_CLIENT_CA_FILE', files.clientCaFile),
  ]);
  if (!cert || !key || (files.clientCaFile !== undefined && !ca))
    return { value: undefined, problems };

  const hash = createHash('sha256');
  for (const b of [cert, key, ca]) hash.update(b ?? '').update('\0');
  const digest = hash.digest('hex');
  // A poll finds the same files nearly every time. Parsing a large CA bundle and building a
  // secure context from it blocks the event loop (about 300 ms for 0.9 MB), at every poll.
  if (inForce && digest === inForce.digest) return { value: inForce, problems };

  const chain = parseChain('TLS_CERT_FILE', files.certFile, cert, problems);
  const caCerts = ca ? parseChain('TLS_CLIENT_CA_FILE', files.clientCaFile!, ca, problems) : [];
  const privateKey = parseKey(files.keyFile, key, problems);
  const leaf = chain[0];
  if (!leaf || !privateKey || (ca && caCerts.length === 0)) return { value: undefined, problems };

  if (!leaf.checkPrivateKey(privateKey)) {
    problems.push(
      `TLS_KEY_FILE (${files.keyFile}): does not match the certificate in TLS_CERT_FILE (${files.certFile})`,
    );
    return { value: undefined, problems };
  }
  const context = {
    cert,
    key,
    ...(ca && { ca }),
    secureOptions: ca ? MTLS_OPTIONS : 0,
  };
  try {
    tls.createSecureContext(context);
  } catch (err) {
    problems.push(
      `TLS_CERT_FILE (${files.certFile}): refused by OpenSSL with its key and CA (${errCode(err)})`,
    );
    return { value: undefined, problems };
  }

  return {
    value: {
      context,
      serving: chain.map(summarize),
      clientCa: caCerts.map(summarize),
      servingNotAfter: earliestNotAfter(chain),
      servingNotBefore: Math.max(...chain.map((c) => unixSeconds(c.validFrom))),
      ...(caCerts.length > 0 && { clientCaNotAfter: earliestNotAfter(caCerts) }),
      digest,
    },
    problems,
  };
}

function parseChain(
  variable: string,
  file: string,
  pem: Buffer,
  problems: string[],
): X509Certificate[] {
  const blocks = pem.toString('latin1').match(PEM_CERT) ?? [];
  if (blocks.length === 0) {
    problems.push(`${variable} (${file}): no PEM certificate in the file`);
    return [];
  }
  let certs: X509Certificate[];
  try {
    certs = blocks.map((b) => new X509Certificate(b));
  } catch (err) {
    problems.push(`${variable} (${file}): not a valid certificate (${errCode(err)})`);
    return [];
  }
  // OpenSSL parses a certificate whose validity it cannot read and prints "Bad time value" for
  // it; every date below would be NaN, and toISOString would throw.
  if (certs.some((c) => Number.isNaN(unixSeconds(c.validFrom) + unixSeconds(c.validTo)))) {
    problems.push(`${variable} (${file}): a certificate has an unreadable validity date`);
    return [];
  }
  return certs;
}

function parseKey(file: string, pem: Buffer, problems: string[]): KeyObject | undefined {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    problems.push(`TLS_KEY_FILE (${file}): not an unencrypted PEM private key (${errCode(err)})`);
    return undefined;
  }
}

function summarize(c: X509Certificate): CertSummary {
  return {
    subject: distinguishedName(c.subject),
    issuer: distinguishedName(c.issuer),
    serial: c.serialNumber,
    notAfter: new Date(c.validTo).toISOString(),
    fingerprint256: c.fingerprint256,
  };
}

function earliestNotAfter(certs: X509Certificate[]): number {
  return Math.min(...certs.map((c) => unixSeconds(c.validTo)));
}

function unixSeconds(opensslDate: string): number {
  return Math.floor(Date.parse(opensslDate) / 1000);
}

/**
 * Node prints a name one attribute per line, in certificate order, with RFC 4514 escaping
 * already applied; RFC 4514 writes the most specific attribute first (`CN=agent-1,O=acme`).
 *
 * Node escapes ASCII control characters (`\0A`) but passes the rest of Unicode through, so
 * characters that are invisible or reorder the text on a terminal (U+202E right-to-left
 * override, U+2028 line separator, NEL, …) are escaped here the same way, as the hex of their
 * UTF-8 bytes. The result is cut at MAX_NAME_CHARS; most specific first, the CN survives.
 */
export function distinguishedName(multiline: string): string {
  const dn = multiline
    .split('\n')
    .filter(Boolean)
    .reverse()
    .join(',')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}]/gu, (c) =>
      [...Buffer.from(c, 'utf8')]
        .map((b) => `\\${b.toString(16).toUpperCase().padStart(2, '0')}`)
        .join(''),
    );
  return dn.length > MAX_NAME_CHARS ? `${dn.slice(0, MAX_NAME_CHARS)}…` : dn;
}

function errCode(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  return typeof e.code === 'string' ? e.code : 'invalid';
}
