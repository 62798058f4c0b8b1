/**
 * `flk sign` and `flk keygen` (run as `npm run sign -- <command> ...` or `npx tsx pcs/cli.ts`).
 *
 *   flk [sign] [FILE|-] [--shard ID --epoch N] [--scheme S]
 *            (--hmac-key TEXT | --seed-b64 B64 | --signer-dir DIR)
 *   flk keygen --alg ed25519|hmac-sha256 [--schemes S,S] [--bytes N] [--out DIR]
 *
 * `sign` (implied when the first argument is an option) reads a record (a file, or - for stdin) or builds one from --shard/--epoch, signs it and
 * prints it as one line of JSON. `keygen` prints {kid, verifier, signer}; with --out it also
 * writes DIR/verifier/<kid>.json and DIR/signer/signer.json (mode 0600). A usage error prints one
 * line and exits 2; a failure exits 1.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { decodeBase64Strict } from './base64.ts';
import { computePcsId } from './canonical.ts';
import {
  SIGNER_FILE,
  formatKeyFile,
  generateEd25519,
  generateHmac,
  loadSignerDir,
} from './keys.ts';
import { parsePcs } from './parse.ts';
import { formatRecord } from './record.ts';
import type { PcsRecord } from './record.ts';
import { SCHEMES, isScheme, schemeAlg } from './schemes.ts';
import type { Scheme } from './schemes.ts';
import { buildRecord, ed25519Material, hmacMaterial, signRecord } from './sign.ts';
import type { DirectSigner } from './sign.ts';

/** Where the CLI reads and writes; injected so tests run it in process. */
export interface CliIo {
  readStdin(): Promise<string>;
  stdout(text: string): void;
  stderr(text: string): void;
}

/** A mistake in the command line: one line to stderr, exit code 2. */
class UsageError extends Error {}

const USAGE =
  'usage: flk sign [FILE|-] [--shard ID --epoch N] [--scheme S]\n' +
  '                (--hmac-key TEXT | --seed-b64 B64 | --signer-dir DIR)\n' +
  '       flk keygen --alg ed25519|hmac-sha256 [--schemes S,S] [--bytes N] [--out DIR]\n';

/** Runs one CLI invocation; resolves to the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  // `npm run sign -- --shard x ...` reads naturally: options first means the sign command.
  const implicitSign = argv[0] !== undefined && argv[0] !== '--help' && argv[0].startsWith('-');
  const [command, ...rest] = implicitSign ? ['sign', ...argv] : argv;
  try {
    if (command === 'sign') return await signCommand(rest, io);
    if (command === 'keygen') return await keygenCommand(rest, io);
    if (command === 'help' || command === '--help' || command === undefined) {
      io.stderr(USAGE);
      return command === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command "${command}" (expected sign or keygen)`);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(`flk ${command ?? ''}: ${message.split('\n')[0]}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

async function signCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, {
    shard: { type: 'string' },
    epoch: { type: 'string' },
    scheme: { type: 'string' },
    'hmac-key': { type: 'string' },
    'seed-b64': { type: 'string' },
    'signer-dir': { type: 'string' },
  });
  if (positionals.length > 1) throw new UsageError('give at most one record file');
  const scheme = values.scheme === undefined ? undefined : schemeArg(values.scheme);
  const rec = await readOrBuild(positionals[0], values, io);
  const signer = await resolveSigner(values, scheme);

  const expectedId = computePcsId(rec.merkle_root, rec.epoch, rec.shard_id);
  if (rec.pcs_id !== expectedId) {
    io.stderr(`flk sign: warning: pcs_id is not the recomputed ${expectedId}; signing as given\n`);
  }
  io.stdout(`${formatRecord(signRecord(rec, signer))}\n`);
  return 0;
}

async function readOrBuild(
  file: string | undefined,
  values: { shard?: string; epoch?: string },
  io: CliIo,
): Promise<PcsRecord> {
  if (file !== undefined) {
    if (values.shard !== undefined || values.epoch !== undefined) {
      throw new UsageError('give either a record file or --shard/--epoch, not both');
    }
    const text = file === '-' ? await io.readStdin() : await readFile(file, 'utf8');
    const parsed = parsePcs(text, { unsigned: true });
    if (!parsed.ok) throw new Error(`${file === '-' ? 'stdin' : file}: ${parsed.error.message}`);
    return parsed.record;
  }
  if (values.shard === undefined || values.epoch === undefined) {
    throw new UsageError(
      'give a record file (or - for stdin), or --shard and --epoch to build one',
    );
  }
  if (!/^\d+$/.test(values.epoch))
    throw new UsageError(`--epoch must be an integer >= 0, got "${values.epoch}"`);
  return buildRecord({ shard_id: values.shard, epoch: BigInt(values.epoch) });
}

async function resolveSigner(
  values: { 'hmac-key'?: string; 'seed-b64'?: string; 'signer-dir'?: string },
  scheme: Scheme | undefined,
) {
  const given = (['hmac-key', 'seed-b64', 'signer-dir'] as const).filter(
    (k) => values[k] !== undefined,
  );
  if (given.length !== 1)
    throw new UsageError('give exactly one of --hmac-key, --seed-b64, --signer-dir');

  if (values['signer-dir'] !== undefined) {
    const key = await loadSignerDir(values['signer-dir']);
    if (scheme === undefined) return key;
    checkAlg(scheme, key.alg, `the key in ${join(values['signer-dir'], SIGNER_FILE)}`);
    return { scheme, key: key.material };
  }
  if (values['hmac-key'] !== undefined) {
    const chosen = scheme ?? 'hmac-sha256';
    checkAlg(chosen, 'hmac-sha256', '--hmac-key');
    return { scheme: chosen, key: hmacMaterial(values['hmac-key']) } satisfies DirectSigner;
  }
  const seed = decodeBase64Strict(values['seed-b64'] ?? '', 32);
  if (seed === undefined) throw new UsageError('--seed-b64 must be standard base64 of 32 bytes');
  const chosen = scheme ?? 'ed25519';
  checkAlg(chosen, 'ed25519', '--seed-b64');
  return { scheme: chosen, key: ed25519Material(seed) } satisfies DirectSigner;
}

function checkAlg(scheme: Scheme, alg: string, what: string): void {
  if (schemeAlg(scheme) !== alg)
    throw new UsageError(`--scheme ${scheme} cannot sign with ${what} (${alg})`);
}

async function keygenCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, {
    alg: { type: 'string' },
    schemes: { type: 'string' },
    bytes: { type: 'string' },
    out: { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (values.alg !== 'ed25519' && values.alg !== 'hmac-sha256') {
    throw new UsageError('--alg must be ed25519 or hmac-sha256');
  }
  const schemes = values.schemes?.split(',').map(schemeArg);
  schemes?.forEach((s) => checkAlg(s, values.alg!, `an ${values.alg} key`));
  if (values.bytes !== undefined && (values.alg !== 'hmac-sha256' || !/^\d+$/.test(values.bytes))) {
    throw new UsageError('--bytes is a whole number of bytes, for --alg hmac-sha256 only');
  }

  const opts = schemes === undefined ? {} : { schemes };
  const key =
    values.alg === 'ed25519'
      ? generateEd25519(opts)
      : generateHmac(Number(values.bytes ?? 32), opts);
  if (values.out !== undefined) {
    const write = async (dir: string, name: string, body: string) => {
      await mkdir(join(values.out!, dir), { recursive: true, mode: 0o700 });
      await writeFile(join(values.out!, dir, name), body, { mode: 0o600 });
    };
    await write('verifier', `${key.kid}.json`, formatKeyFile(key.verifier));
    await write('signer', SIGNER_FILE, formatKeyFile(key.signer));
    // The secret went to a 0600 file; it is not echoed to a terminal or a CI log as well.
    io.stdout(
      `${JSON.stringify({ kid: key.kid, verifier: `${values.out}/verifier/${key.kid}.json`, signer: `${values.out}/signer/${SIGNER_FILE}` })}\n`,
    );
    return 0;
  }
  io.stdout(
    `${JSON.stringify({ kid: key.kid, verifier: key.verifier, signer: key.signer }, null, 2)}\n`,
  );
  return 0;
}

function schemeArg(value: string): Scheme {
  if (!isScheme(value))
    throw new UsageError(`unknown scheme "${value}" (expected ${SCHEMES.join(', ')})`);
  return value;
}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

function parse<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const io: CliIo = {
    readStdin: () => readAll(process.stdin),
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  };
  process.exitCode = await main(process.argv.slice(2), io);
}
