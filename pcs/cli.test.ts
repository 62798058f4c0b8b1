// The flk CLI, run in process: sign from flags, stdin, a file and a signer directory made by
// keygen; usage errors are one line and exit 2, failures exit 1.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { runPipeline } from '../golden/vectors.ts';
import { main } from './cli.ts';
import { KeySet, keysFromEnv, loadKeyDir } from './keys.ts';
import { formatRecord } from './record.ts';
import { buildRecord } from './sign.ts';

async function run(argv: string[], stdin = '') {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    readStdin: async () => stdin,
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  return { code, stdout, stderr };
}

const SEED_B64 = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
const PUB_B64 = 'A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=';

describe('flk sign', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flk-cli-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('builds and signs a record from --shard and --epoch with an HMAC key', async () => {
    const out = await run([
      'sign',
      '--shard',
      'cli',
      '--epoch',
      '9007199254740993',
      '--hmac-key',
      'testsecret',
    ]);
    expect(out).toMatchObject({ code: 0, stderr: '' });
    expect(out.stdout).toContain('"epoch":9007199254740993');
    const keys = new KeySet(keysFromEnv({ alg: 'hmac', hmacKey: 'testsecret' }));
    expect(runPipeline(out.stdout.trim(), keys).status).toBe(200);
  });

  it('takes options without a command as the sign command (npm run sign -- --shard ...)', async () => {
    const out = await run(['--shard', 'implicit', '--epoch', '1', '--hmac-key', 'k']);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('"shard_id":"implicit"');
  });

  it('signs a record read from stdin with an Ed25519 seed', async () => {
    const unsigned = formatRecord(buildRecord({ shard_id: 'stdin', epoch: 2 })).replace(
      ',"sig":""',
      '',
    );
    const out = await run(['sign', '-', '--seed-b64', SEED_B64], unsigned);
    expect(out.code).toBe(0);
    const keys = new KeySet(keysFromEnv({ alg: 'ed25519', ed25519PubB64: PUB_B64 }));
    expect(runPipeline(out.stdout.trim(), keys)).toMatchObject({ status: 200, scheme: 'ed25519' });
  });

  it('signs with a signer directory written by keygen, verified by its verifier directory', async () => {
    const gen = await run([
      'keygen',
      '--alg',
      'hmac-sha256',
      '--schemes',
      'hmac-sha256-payload',
      '--out',
      dir,
    ]);
    expect(gen.code).toBe(0);
    const { kid } = JSON.parse(gen.stdout) as { kid: string };
    const file = join(dir, 'rec.json');
    await writeFile(file, formatRecord(buildRecord({ shard_id: 'file', epoch: 4 })));

    const out = await run(['sign', file, '--signer-dir', join(dir, 'signer')]);
    expect(out.code).toBe(0);
    const { keys, errors } = await loadKeyDir(join(dir, 'verifier'));
    expect(errors).toEqual([]);
    expect(runPipeline(out.stdout.trim(), new KeySet(keys))).toMatchObject({
      status: 200,
      kid,
      scheme: 'hmac-sha256-payload',
    });
  });

  it('warns, but signs, when the record pcs_id is not the recomputed one', async () => {
    const rec = { ...buildRecord({ shard_id: 'w', epoch: 1 }), pcs_id: 'stale' };
    const out = await run(['sign', '-', '--hmac-key', 'k'], formatRecord(rec));
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/^flk sign: warning: pcs_id is not the recomputed/);
  });

  it('fails with exit 1 and the parse error for a bad record', async () => {
    const out = await run(['sign', '-', '--hmac-key', 'k'], '{"epoch":3.5}');
    expect(out.code).toBe(1);
    expect(out.stderr).toBe('flk sign: stdin: field "pcs_id": missing, expected a string\n');
  });
});

describe('flk usage errors', () => {
  it.each([
    [['sign', '--shard', 's', '--epoch', '1'], /give exactly one of --hmac-key/],
    [['sign', '--hmac-key', 'k'], /give a record file/],
    [['sign', '--shard', 's', '--epoch', '1.5', '--hmac-key', 'k'], /--epoch must be an integer/],
    [['sign', '--shard', 's', '--epoch', '-1', '--hmac-key', 'k'], /--epoch/],
    [
      ['sign', '--shard', 's', '--epoch', '1', '--seed-b64', 'AAAA'],
      /--seed-b64 must be standard base64 of 32 bytes/,
    ],
    [
      ['sign', '--shard', 's', '--epoch', '1', '--hmac-key', 'k', '--scheme', 'ed25519'],
      /cannot sign with --hmac-key/,
    ],
    [
      ['sign', '--shard', 's', '--epoch', '1', '--hmac-key', 'k', '--scheme', 'rsa'],
      /unknown scheme "rsa"/,
    ],
    [['sign', '--bogus'], /Unknown option '--bogus'/],
    [['keygen'], /--alg must be ed25519 or hmac-sha256/],
    [
      ['keygen', '--alg', 'ed25519', '--bytes', '64'],
      /--bytes is a whole number of bytes, for --alg hmac-sha256 only/,
    ],
    [['keygen', '--alg', 'ed25519', '--schemes', 'hmac-sha256'], /cannot sign with an ed25519 key/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [[], /^usage: flk sign/],
  ])('%j: one line, exit 2', async (argv, message) => {
    const out = await run(argv);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(out.stdout).toBe('');
    if (argv.length > 0) expect(out.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
