import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_NAME_CHARS,
  MAX_TLS_FILE_BYTES,
  distinguishedName,
  readTlsMaterial,
} from './material.ts';

describe('distinguishedName', () => {
  it('writes the most specific attribute first, as RFC 4514 does', () => {
    expect(distinguishedName('O=acme\nCN=agent-1')).toBe('CN=agent-1,O=acme');
  });

  it('keeps the escaping Node already applied, so a comma in a value stays unambiguous', () => {
    expect(distinguishedName('O=acme\\, inc\nCN=agent-1\n')).toBe('CN=agent-1,O=acme\\, inc');
  });

  it('escapes characters that are invisible or reorder text as the hex of their UTF-8 bytes', () => {
    // Right-to-left override, line separator, NEL, DEL: Node passes them through.
    expect(distinguishedName('CN=agent\u202Eevil\u2028x\u0085y\u007F')).toBe(
      'CN=agent\\E2\\80\\AEevil\\E2\\80\\A8x\\C2\\85y\\7F',
    );
    expect(distinguishedName('O=Bäckerei Müller\nCN=代理-1')).toBe('CN=代理-1,O=Bäckerei Müller');
  });

  it('cuts a long name, keeping its most specific part', () => {
    const ous = Array.from({ length: 60 }, (_, i) => `OU=${'u'.repeat(60)}${i}`);
    const dn = distinguishedName(['O=acme', ...ous, 'CN=agent-many'].join('\n'));
    expect(dn).toHaveLength(MAX_NAME_CHARS + 1);
    expect(dn.startsWith('CN=agent-many,OU=')).toBe(true);
    expect(dn.endsWith('…')).toBe(true);
  });
});

describe('readTlsMaterial', () => {
  let dir: string;
  let files: { certFile: string; keyFile: string };
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flk-material-'));
    files = { certFile: path.join(dir, 'tls.crt'), keyFile: path.join(dir, 'tls.key') };
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-subj',
        '/CN=material-test',
        '-days',
        '1',
        '-keyout',
        files.keyFile,
        '-out',
        files.certFile,
      ],
      { stdio: 'ignore' },
    );
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives back the material in force, without parsing, when the bytes have not changed', async () => {
    const first = await readTlsMaterial(files);
    expect(first.problems).toEqual([]);
    const again = await readTlsMaterial(files, first.value);
    expect(again.value).toBe(first.value);
    // A new read without the one in force parses again: a new object with the same digest.
    const fresh = await readTlsMaterial(files);
    expect(fresh.value).not.toBe(first.value);
    expect(fresh.value?.digest).toBe(first.value?.digest);
  });

  it('does not read a file larger than a Secret can hold', async () => {
    const big = path.join(dir, 'big.crt');
    fs.writeFileSync(big, Buffer.alloc(MAX_TLS_FILE_BYTES + 1, 'A'));
    const r = await readTlsMaterial({ ...files, certFile: big });
    expect(r.value).toBeUndefined();
    expect(r.problems).toEqual([
      `TLS_CERT_FILE (${big}): larger than 1 MiB, the limit of a Secret`,
    ]);
  });

  it('asks for no session tickets with client certificates, and sets no options without', async () => {
    const oneWay = await readTlsMaterial(files);
    expect(oneWay.value?.context.secureOptions).toBe(0);
    const mtls = await readTlsMaterial({ ...files, clientCaFile: files.certFile });
    expect(mtls.problems).toEqual([]);
    // SSL_OP_NO_TICKET
    expect(mtls.value?.context.secureOptions).toBe(0x4000);
  });
});
