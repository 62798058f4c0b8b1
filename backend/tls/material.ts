import { X509Certificate, createHash, createPrivateKey, type KeyObject } from 'node:crypto';
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
  /** For tls.createServer and server.setSecureContext. */
  context: { cert: Buffer; key: Buffer; ca?: Buffer };
  /** The serving chain, leaf first. */
  serving: CertSummary[];
  /** The client CA bundle (empty without mTLS). */
  clientCa: CertSummary[];
  /** Earliest notAfter of each file, unix seconds. */
  servingNotAfter: number;
  clientCaNotAfter?: number;
  /** Hash of the three files' bytes: an unchanged poll is recognised without rebuilding. */
  digest: string;
}

type Files = Pick<TlsConfig, 'certFile' | 'keyFile' | 'clientCaFile'>;

const PEM_CERT = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/**
 * Reads and checks the serving certificate, its key and the client CA bundle. Every problem is
 * one line naming the variable and the file, with an error code rather than any file content,
 * so it is safe in a log and on stderr. A mismatched pair is what a read during kubelet's swap
 * looks like (new certificate, old key), which is why the caller retries.
 */
export async function readTlsMaterial(files: Files): Promise<ReadResult<TlsMaterial | undefined>> {
  const problems: string[] = [];
  const read = async (variable: string, file: string) => {
    try {
      return await fs.readFile(file);
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
  const context = { cert, key, ...(ca && { ca }) };
  try {
    tls.createSecureContext(context);
  } catch (err) {
    problems.push(
      `TLS_CERT_FILE (${files.certFile}): refused by OpenSSL with its key and CA (${errCode(err)})`,
    );
    return { value: undefined, problems };
  }

  const digest = createHash('sha256');
  for (const b of [cert, key, ca]) digest.update(b ?? '').update('\0');
  return {
    value: {
      context,
      serving: chain.map(summarize),
      clientCa: caCerts.map(summarize),
      servingNotAfter: earliestNotAfter(chain),
      ...(caCerts.length > 0 && { clientCaNotAfter: earliestNotAfter(caCerts) }),
      digest: digest.digest('hex'),
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
  try {
    return blocks.map((b) => new X509Certificate(b));
  } catch (err) {
    problems.push(`${variable} (${file}): not a valid certificate (${errCode(err)})`);
    return [];
  }
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
  return Math.min(...certs.map((c) => Math.floor(Date.parse(c.validTo) / 1000)));
}

/**
 * Node prints a name one attribute per line, in certificate order, with RFC 4514 escaping
 * already applied; RFC 4514 writes the most specific attribute first (`CN=agent-1,O=acme`).
 */
export function distinguishedName(multiline: string): string {
  return multiline.split('\n').filter(Boolean).reverse().join(',');
}

function errCode(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  return typeof e.code === 'string' ? e.code : 'invalid';
}
