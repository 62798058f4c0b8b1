import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatRecord } from '../../pcs/record.ts';
import { buildRecord, hmacMaterial, signRecord } from '../../pcs/sign.ts';
import { REPO_ROOT, spawnBackend, startBackend, submit } from '../harness/backend.ts';
import { startRedis, type TestServer } from '../harness/servers.ts';

const run = promisify(execFile);
const KEY = 'commands-test-hmac-key-0123456789abcdef';

/** Runs one of the project's commands the way the README shows, without the npm wrapper. */
async function command(script: string, args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('backend start-up with a bad configuration', () => {
  it.each([
    [{ DEDUP_BACKEND: 'sqlite' }, 'DEDUP_BACKEND'],
    [{ PCS_SIGN_ALG: 'hmac' }, 'PCS_HMAC_KEY'],
    [{ PORT: 'http' }, 'PORT'],
  ])('%o exits non-zero with one line naming %s', async (env, variable) => {
    const r = await command('backend/main.ts', [], env);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^flk-backend: invalid configuration: ${variable}: `));
  });
});

describe('flk sign', () => {
  it('prints a record the backend accepts, for each scheme', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flk-keygen-'));
    const gen = await command('pcs/cli.ts', ['keygen', '--alg', 'ed25519', '--out', dir]);
    expect(gen.code).toBe(0);
    expect(gen.stdout).not.toMatch(/seed_b64/);
    const keysDir = path.join(dir, 'verifier');
    expect(fs.readdirSync(keysDir)).toHaveLength(1);

    const b = await startBackend({
      PCS_SIGN_ALG: 'hmac',
      PCS_HMAC_KEY: KEY,
      PCS_SIGN_SCHEMES: 'hmac-sha256,hmac-sha256-payload',
      PCS_KEYS_DIR: keysDir,
    });
    try {
      const cases = [
        ['--scheme', 'hmac-sha256', '--hmac-key', KEY],
        ['--scheme', 'hmac-sha256-payload', '--hmac-key', KEY],
        ['--signer-dir', path.join(dir, 'signer')],
      ];
      for (const [i, args] of cases.entries()) {
        const s = await command('pcs/cli.ts', [
          'sign',
          '--shard',
          `cli-${i}`,
          '--epoch',
          '7',
          ...args,
        ]);
        expect(s.code, s.stderr).toBe(0);
        const r = await submit(b.url, s.stdout);
        expect(r.status, `${args.join(' ')}: ${r.text}`).toBe(200);
      }
    } finally {
      await b.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a usage error is one line and a non-zero exit', async () => {
    const r = await command('pcs/cli.ts', ['sign', '--shard', 'x']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(3);
  });
});

describe('the wal command', () => {
  let redis: TestServer;
  const walDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flk-walcli-'));
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.destroy();
    fs.rmSync(walDir, { recursive: true, force: true });
  });

  it('inspect lists segments and records; replay stores outcomes that never reached the store; compact keeps the open segment', async () => {
    // A backend on Redis records three answered requests and one torn tail.
    const env = {
      PCS_SIGN_ALG: 'hmac',
      PCS_HMAC_KEY: KEY,
      DEDUP_BACKEND: 'redis',
      REDIS_ADDR: redis.url,
      WAL_DIR: walDir,
    };
    const be = await spawnBackend({ ...env, POD_NAME: 'pod-1' });
    const recs = [1, 2, 3].map((i) =>
      signRecord(buildRecord({ shard_id: `walcli-${i}`, epoch: i }), {
        scheme: 'hmac-sha256',
        key: hmacMaterial(KEY),
      }),
    );
    for (const r of recs) expect((await submit(be.url, formatRecord(r))).status).toBe(200);
    await be.stop('SIGKILL');
    const seg = path.join(
      walDir,
      'pod-1',
      fs.readdirSync(path.join(walDir, 'pod-1')).sort().at(-1) as string,
    );
    fs.appendFileSync(seg, Buffer.from('FLKW torn'));

    const inspect = await command('backend/wal/cli.ts', ['inspect'], { WAL_DIR: walDir });
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toMatch(
      /pod-1\/\d{20}\.wal \d+B 3 records .* damage@\d+: bad magic|truncated/,
    );

    // The store loses everything (a Redis without persistence restarted): replay restores it.
    await redis.stop();
    await redis.start();
    const replay = await command('backend/wal/cli.ts', ['replay'], env);
    expect(replay.code, replay.stderr).toBe(0);
    expect(JSON.parse(replay.stdout.trim().split('\n').at(-1) as string)).toMatchObject({
      stored: 3,
      present: 0,
    });
    const again = await command('backend/wal/cli.ts', ['replay'], env);
    expect(JSON.parse(again.stdout.trim().split('\n').at(-1) as string)).toMatchObject({
      stored: 0,
      present: 3,
    });

    const be2 = await spawnBackend({ ...env, POD_NAME: 'pod-1', WAL_REPLAY_ON_START: 'false' });
    for (const r of recs)
      expect((await submit(be2.url, formatRecord(r))).json.dedup_hit).toBe(true);
    await be2.stop('SIGTERM');

    // Everything is old now; compaction keeps only the newest segment of the writer.
    const old = (Date.now() - 30 * 86_400_000) / 1000;
    for (const f of fs.readdirSync(path.join(walDir, 'pod-1')))
      fs.utimesSync(path.join(walDir, 'pod-1', f), old, old);
    const compact = await command('backend/wal/cli.ts', ['compact', '--retention', '72h'], {
      WAL_DIR: walDir,
    });
    expect(compact.code).toBe(0);
    expect(
      fs.readdirSync(path.join(walDir, 'pod-1')).filter((f) => f.endsWith('.wal')),
    ).toHaveLength(1);
    expect(compact.stdout).toMatch(/1 segment\(s\) deleted, 1 kept/);
  });

  it('compact without --retention is a usage error', async () => {
    const r = await command('backend/wal/cli.ts', ['compact'], { WAL_DIR: walDir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--retention: required/);
  });
});
