/**
 * A throwaway PKI for TLS tests, made with the `openssl` CLI in a temporary folder: a CA, a
 * serving certificate for loopback, a "rotated" serving certificate (new key, same names), an
 * unrelated second CA, and client certificates with the subject a test chooses. Keys are EC
 * P-256 (fast to make); certificates are valid from now for two days.
 *
 *   const pki = createPki({ dnsNames: ['flk.ingest.svc'] });
 *   projectSecret(dir, tlsSecretData(pki.server, pki.ca), 'utf8');
 *   const agent = pki.issueClient({ CN: 'agent-1', O: 'acme' });
 *   // agent.subject === 'CN=agent-1,O=acme'
 *   pki.cleanup();
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A certificate with its key, on disk and in memory. */
export interface Issued {
  certFile: string;
  keyFile: string;
  /** PEM certificate. */
  cert: string;
  /** PEM private key (PKCS#8, unencrypted). */
  key: string;
  /** Subject as the backend logs it (RFC 4514, most specific first): `CN=agent-1,O=acme`. */
  subject: string;
  /** SHA-256 fingerprint as Node prints it (`AB:CD:…`), same as getPeerCertificate(). */
  fingerprint256: string;
}

/**
 * Name attributes, most specific first, as they will read in the log: `{ CN: 'agent-1', O:
 * 'acme' }` is `CN=agent-1,O=acme`. A list of pairs can repeat an attribute (`OU`, …).
 */
export type Subject = Record<string, string> | ReadonlyArray<readonly [string, string]>;

export interface TestPki {
  /** The folder everything is written to. */
  dir: string;
  /** The CA that signs the server and, by default, client certificates. */
  ca: Issued;
  /** An unrelated CA: its certificates must be refused wherever `ca` is trusted. */
  otherCa: Issued;
  /** Serving certificate signed by `ca`; SAN 127.0.0.1, ::1, localhost and `dnsNames`. */
  server: Issued;
  /** A second serving certificate with a new key and the same names, for rotation tests. */
  rotatedServer: Issued;
  /** Issues a client certificate (extendedKeyUsage clientAuth), by `ca` unless told otherwise. */
  issueClient(subject: Subject, issuer?: Issued, options?: ClientOptions): Issued;
  /** Issues an intermediate CA (basicConstraints CA:TRUE) under `issuer` (`ca` by default). */
  issueIntermediate(subject: Subject, issuer?: Issued): Issued;
  /** Issues another serving certificate for the same names, with a new key. */
  issueServer(options?: ServerOptions): Issued;
  /** Removes the folder. */
  cleanup(): void;
}

export interface ServerOptions {
  /** Signed by `ca` unless told otherwise. */
  issuer?: Issued;
  /** Valid for no time at all: its notAfter is the moment it was made, so it is already expired. */
  expired?: boolean;
}

export interface ClientOptions {
  /** The extendedKeyUsage extension; `clientAuth` by default, `null` for none at all. */
  extendedKeyUsage?: string | null;
  /**
   * Exact validity, to the second (made with `openssl ca`, which keeps only the CN, O, OU, C,
   * ST and L attributes of the subject). Without it: from now for two days.
   */
  validity?: { notBefore: Date; notAfter: Date };
}

export interface PkiOptions {
  /** DNS names the serving certificates carry besides `localhost`. */
  dnsNames?: string[];
  /** Where to write; a new temporary folder by default. */
  dir?: string;
}

/** Makes the CA, both serving certificates and the second CA (about a tenth of a second). */
export function createPki(options: PkiOptions = {}): TestPki {
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'flk-pki-'));
  fs.mkdirSync(dir, { recursive: true });
  const san = [
    'IP:127.0.0.1',
    'IP:::1',
    'DNS:localhost',
    ...(options.dnsNames ?? []).map((d) => `DNS:${d}`),
  ].join(',');
  let n = 0;
  const next = (stem: string) => path.join(dir, `${stem}-${++n}`);

  const ca = selfSignedCa(next('ca'), { CN: 'flk test CA', O: 'flk-tests' });
  const otherCa = selfSignedCa(next('other-ca'), { CN: 'unrelated CA', O: 'elsewhere' });
  const issueServer = ({ issuer = ca, expired = false }: ServerOptions = {}) =>
    issue(
      next('server'),
      issuer,
      { CN: 'flk-backend', O: 'flk-tests' },
      [
        `subjectAltName=${san}`,
        'extendedKeyUsage=serverAuth',
        'keyUsage=critical,digitalSignature',
      ],
      expired ? 0 : 2,
    );
  const server = issueServer();
  const rotatedServer = issueServer();

  return {
    dir,
    ca,
    otherCa,
    server,
    rotatedServer,
    issueServer,
    issueClient: (subject, issuer = ca, { extendedKeyUsage = 'clientAuth', validity } = {}) => {
      const ext = [
        ...(extendedKeyUsage === null ? [] : [`extendedKeyUsage=${extendedKeyUsage}`]),
        'keyUsage=critical,digitalSignature',
      ];
      const stem = next('client');
      return validity
        ? issueWithValidity(stem, issuer, subject, ext, validity)
        : issue(stem, issuer, subject, ext);
    },
    issueIntermediate: (subject, issuer = ca) =>
      issue(next('intermediate'), issuer, subject, ['keyUsage=critical,keyCertSign,cRLSign'], 2, {
        ca: true,
      }),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A TLS Secret's data as kubelet would project it (the `kubernetes.io/tls` keys, plus `ca.crt`
 * when a CA is given), for `projectSecret(dir, data, 'utf8')`.
 */
export function tlsSecretData(served: Issued, ca?: Issued): Record<string, string> {
  return { 'tls.crt': served.cert, 'tls.key': served.key, ...(ca && { 'ca.crt': ca.cert }) };
}

function selfSignedCa(stem: string, subject: Subject): Issued {
  const keyFile = newKey(stem);
  const certFile = `${stem}.crt`;
  openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    keyFile,
    '-subj',
    opensslSubject(subject),
    '-days',
    '2',
    '-set_serial',
    serial(),
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    certFile,
  ]);
  return load(certFile, keyFile);
}

function issue(
  stem: string,
  issuer: Issued,
  subject: Subject,
  extensions: string[],
  days = 2,
  { ca = false } = {},
): Issued {
  const keyFile = newKey(stem);
  const csr = `${stem}.csr`;
  const ext = `${stem}.ext`;
  const certFile = `${stem}.crt`;
  openssl(['req', '-new', '-utf8', '-key', keyFile, '-subj', opensslSubject(subject), '-out', csr]);
  fs.writeFileSync(
    ext,
    `basicConstraints=${ca ? 'critical,CA:TRUE' : 'CA:FALSE'}\n${extensions.join('\n')}\n`,
  );
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    issuer.certFile,
    '-CAkey',
    issuer.keyFile,
    '-set_serial',
    serial(),
    '-days',
    String(days),
    '-extfile',
    ext,
    '-out',
    certFile,
  ]);
  return load(certFile, keyFile);
}

/** `openssl x509` of OpenSSL 3.0 sets no start date; `openssl ca` sets both, to the second. */
function issueWithValidity(
  stem: string,
  issuer: Issued,
  subject: Subject,
  extensions: string[],
  { notBefore, notAfter }: { notBefore: Date; notAfter: Date },
): Issued {
  const keyFile = newKey(stem);
  const csr = `${stem}.csr`;
  const db = `${stem}.db`;
  const certFile = `${stem}.crt`;
  fs.mkdirSync(db);
  fs.writeFileSync(path.join(db, 'index.txt'), '');
  fs.writeFileSync(path.join(db, 'serial'), `10${randomBytes(15).toString('hex')}\n`);
  const policy = ['commonName', 'organizationName', 'organizationalUnitName', 'countryName']
    .concat(['stateOrProvinceName', 'localityName'])
    .map((f) => `${f}=optional`);
  fs.writeFileSync(
    `${stem}.cnf`,
    [
      '[ca]',
      'default_ca=test_ca',
      '[test_ca]',
      `database=${path.join(db, 'index.txt')}`,
      `serial=${path.join(db, 'serial')}`,
      `new_certs_dir=${db}`,
      'default_md=sha256',
      'policy=test_policy',
      'unique_subject=no',
      'x509_extensions=test_ext',
      '[test_policy]',
      ...policy,
      '[test_ext]',
      'basicConstraints=CA:FALSE',
      ...extensions,
      '',
    ].join('\n'),
  );
  const asn1Time = (d: Date) => `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
  openssl(['req', '-new', '-utf8', '-key', keyFile, '-subj', opensslSubject(subject), '-out', csr]);
  openssl([
    'ca',
    '-batch',
    '-notext',
    '-preserveDN',
    '-config',
    `${stem}.cnf`,
    '-cert',
    issuer.certFile,
    '-keyfile',
    issuer.keyFile,
    '-in',
    csr,
    '-out',
    certFile,
    // GeneralizedTime (four-digit year) is accepted for any date.
    '-startdate',
    asn1Time(notBefore),
    '-enddate',
    asn1Time(notAfter),
  ]);
  return load(certFile, keyFile);
}

function newKey(stem: string): string {
  const keyFile = `${stem}.key`;
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
  return keyFile;
}

function load(certFile: string, keyFile: string): Issued {
  const cert = fs.readFileSync(certFile, 'utf8');
  const x = new X509Certificate(cert);
  return {
    certFile,
    keyFile,
    cert,
    key: fs.readFileSync(keyFile, 'utf8'),
    subject: x.subject.split('\n').reverse().join(','),
    fingerprint256: x.fingerprint256,
  };
}

/** OpenSSL's `-subj` lists attributes in certificate order, least specific first. */
function opensslSubject(subject: Subject): string {
  const esc = (v: string) => v.replace(/[\\/+=]/g, (c) => `\\${c}`);
  const entries: ReadonlyArray<readonly [string, string]> = Array.isArray(subject)
    ? subject
    : Object.entries(subject);
  return [...entries]
    .reverse()
    .map(([k, v]) => `/${k}=${esc(v)}`)
    .join('');
}

function serial(): string {
  // A leading 1 keeps it positive; the random rest keeps two certificates from sharing one.
  return `0x1${randomBytes(15).toString('hex')}`;
}

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`openssl ${args[0]} failed: ${stderr ?? (err as Error).message}`, {
      cause: err,
    });
  }
}
