/**
 * Runs the Argo CD health checks of crds/argocd/ with a real Lua 5.1 interpreter (Debian's
 * `lua5.1`; Argo CD's gopher-lua implements Lua 5.1): the object is written out as a Lua table
 * literal, and harness.lua runs the script against it with only the libraries Argo CD opens.
 *
 *   npx tsx crds/argocd/health-runner.ts <Kind> <object.yaml|json>   prints status and message
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { parse } from 'yaml';

export const ARGOCD_DIR = import.meta.dirname;
export const GROUP_DIR = path.join(ARGOCD_DIR, 'flk.fractal-lba.io');
export const KINDS = ['FractalLBA', 'SigningKey'] as const;
export type Kind = (typeof KINDS)[number];

export const LUA = process.env.FLK_LUA || 'lua5.1';

export interface Health {
  status: string;
  message: string;
}

export function healthScript(kind: Kind): string {
  return path.join(GROUP_DIR, kind, 'health.lua');
}

/**
 * A JSON value as a Lua expression: objects and arrays become tables (arrays 1-based, as Argo CD
 * converts them), null becomes nil (the key is left out), strings are escaped byte for byte.
 */
export function toLua(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as a Lua number`);
    return String(value);
  }
  if (typeof value === 'string') return luaString(value);
  if (Array.isArray(value)) return `{${value.map((v) => toLua(v)).join(', ')}}`;
  if (typeof value === 'object') {
    const fields = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => `[${luaString(k)}] = ${toLua(v)}`);
    return `{${fields.join(', ')}}`;
  }
  throw new Error(`cannot write a ${typeof value} as Lua`);
}

/** A Lua string literal: printable ASCII as is, every other byte as a decimal escape. */
function luaString(s: string): string {
  let out = '"';
  for (const byte of Buffer.from(s, 'utf8')) {
    if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${byte}`;
  }
  return `${out}"`;
}

/** Runs `kind`'s health.lua against `obj` in lua5.1 and returns what it said. */
export function runHealthCheck(kind: Kind, obj: unknown, script = healthScript(kind)): Health {
  const dir = mkdtempSync(path.join(tmpdir(), 'flk-argocd-health-'));
  try {
    const objectFile = path.join(dir, 'object.lua');
    writeFileSync(objectFile, `return ${toLua(obj)}\n`);
    const out = execFileSync(LUA, [path.join(ARGOCD_DIR, 'harness.lua'), script, objectFile], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 10_000,
    });
    const [status = '', ...message] = out.replace(/\n$/, '').split('\n');
    return { status, message: message.join('\n') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One entry of a health_test.yaml, in Argo CD's layout. */
export interface HealthTestCase {
  healthStatus: Health;
  inputPath: string;
}

export function readHealthTests(kind: Kind): HealthTestCase[] {
  const file = path.join(GROUP_DIR, kind, 'health_test.yaml');
  return (parse(readFileSync(file, 'utf8')) as { tests: HealthTestCase[] }).tests;
}

export function readFixture(kind: Kind, inputPath: string): unknown {
  return parse(readFileSync(path.join(GROUP_DIR, kind, inputPath), 'utf8'));
}

function main(argv: string[]): void {
  const [kind, file] = argv;
  if (!kind || !file || !(KINDS as readonly string[]).includes(kind)) {
    process.stderr.write(
      `usage: npx tsx crds/argocd/health-runner.ts <${KINDS.join('|')}> <object.yaml>\n`,
    );
    process.exit(2);
  }
  const health = runHealthCheck(kind as Kind, parse(readFileSync(file, 'utf8')));
  process.stdout.write(`${health.status}\n${health.message}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename)
  main(process.argv.slice(2));
