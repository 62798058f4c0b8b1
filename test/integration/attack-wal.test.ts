/**
 * Attack / chaos tests for the WAL and the embedded store's snapshot: a full WAL volume, a bit
 * flip inside a segment, restarts after SIGKILL, a damaged snapshot file.
 *
 * The full-volume tests mount a 256 KiB tmpfs of their own (they need root, as .ci/run is).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanSegment } from '../../backend/wal/format.ts';
import { forEachRecord } from '../../backend/wal/reader.ts';
import type { PcsRecord } from '../../pcs/record.ts';
import { formatRecord } from '../../pcs/record.ts';
import { buildRecord, hmacMaterial, signRecord } from '../../pcs/sign.ts';
import { REPO_ROOT, spawnBackend, startBackend, submit } from '../harness/backend.ts';
import { freePort, waitForPort } from '../harness/ports.ts';

const KEY = 'attack-wal-hmac-key-0123456789abcdef';
const signer = { scheme: 'hmac-sha256' as const, key: hmacMaterial(KEY) };
function record(tag: string, i: number): PcsRecord {
  return signRecord(buildRecord({ shard_id: `${tag}-${i}`, epoch: i }), signer);
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'flk-attack-wal-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** A tmpfs of `size` mounted at a fresh folder; unmounted (lazily if busy) by the returned fn. */
function smallVolume(size = '256k'): { dir: string; unmount: () => void } {
  const dir = fs.mkdtempSync(path.join(scratch, 'vol-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(
      `this test mounts a small tmpfs to fill the WAL volume and needs root: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return {
    dir,
    unmount: () => {
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } catch {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      }
    },
  };
}

async function idsInWal(walDir: string): Promise<Set<string>> {
  const ids = new Set<string>();
  await forEachRecord(walDir, (r) => {
    const id = /"pcs_id":"([0-9a-f]{64})"/.exec(r.body.toString())?.[1];
    if (id) ids.add(id);
  });
  return ids;
}

describe('WAL volume full (ENOSPC)', () => {
  it('answers 503 with Retry-After once full, never acknowledges a record that is not in the WAL, and serves again when space returns', async () => {
    const vol = smallVolume();
    // Ballast that other data would hold on a real volume; deleting it is "space returns".
    fs.writeFileSync(path.join(vol.dir, 'ballast'), Buffer.alloc(96 * 1024));
    try {
      const b = await startBackend({
        PCS_SIGN_ALG: 'hmac',
        PCS_HMAC_KEY: KEY,
        WAL_DIR: vol.dir,
        DEDUP_SNAPSHOT: path.join(scratch, 'full-snap.json'),
      });
      try {
        const acked: string[] = [];
        const statuses = new Map<number, number>();
        const retryAfter = new Set<string | null>();
        for (let round = 0; round < 30; round++) {
          const recs = Array.from({ length: 20 }, (_, i) => record('full', round * 20 + i));
          const answers = await Promise.all(recs.map((r) => submit(b.url, formatRecord(r))));
          answers.forEach((a, i) => {
            statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
            if (a.status === 200 || a.status === 202) acked.push(recs[i]!.pcs_id);
            if (a.status === 503) retryAfter.add(a.headers.get('retry-after'));
          });
        }
        expect([...statuses.keys()].sort()).toEqual([200, 503]);
        expect(retryAfter).toEqual(new Set(['1']));
        const inWal = await idsInWal(vol.dir);
        expect(acked.filter((id) => !inWal.has(id))).toEqual([]);

        // Space returns. (The writer keeps appending to its one open segment after a failed
        // write, truncating the torn tail, so there is no closed segment to compact here.)
        fs.unlinkSync(path.join(vol.dir, 'ballast'));
        const after = await submit(b.url, formatRecord(record('full-after', 1)));
        expect(after.status).toBe(200);
      } finally {
        await b.close();
      }
    } finally {
      vol.unmount();
    }
  });

  it('a full WAL volume does not leave one new empty segment file behind per refused request', async () => {
    const vol = smallVolume('64k');
    try {
      const b = await startBackend({
        WAL_DIR: vol.dir,
        DEDUP_SNAPSHOT: path.join(scratch, 'leak-snap.json'),
      });
      try {
        try {
          fs.writeFileSync(path.join(vol.dir, 'ballast'), Buffer.alloc(64 * 1024));
        } catch {
          /* ENOSPC part-way: the volume is full, which is the point */
        }
        for (let i = 0; i < 300; i++) {
          const r = await submit(b.url, `{"n":${i}}`);
          expect(r.status).toBe(503);
        }
        const segments = fs.readdirSync(path.join(vol.dir, 'test-pod'));
        // Observed: 301 segment files (one opened and abandoned per failed flush).
        expect(segments.length).toBeLessThan(20);
      } finally {
        await b.close();
      }
    } finally {
      vol.unmount();
    }
  });

  it('a 503 for a full WAL does not show an unauthenticated client the server-side segment path', async () => {
    const vol = smallVolume('64k');
    try {
      const b = await startBackend({
        WAL_DIR: vol.dir,
        DEDUP_SNAPSHOT: path.join(scratch, 'path-snap.json'),
      });
      try {
        try {
          fs.writeFileSync(path.join(vol.dir, 'ballast'), Buffer.alloc(64 * 1024));
        } catch {
          /* full */
        }
        const r = await submit(b.url, '{"not":"even signed"}');
        expect(r.status).toBe(503);
        expect(r.json.error.code).toBe('wal_unavailable');
        // Observed: "request not recorded: WAL append to /tmp/.../test-pod/000...0002.wal: ..."
        expect(r.text).not.toContain(vol.dir);
      } finally {
        await b.close();
      }
    } finally {
      vol.unmount();
    }
  });

  it('/ready reports not ready while the WAL cannot record requests', async () => {
    const vol = smallVolume('64k');
    try {
      const b = await startBackend({
        WAL_DIR: vol.dir,
        DEDUP_SNAPSHOT: path.join(scratch, 'ready-snap.json'),
      });
      try {
        try {
          fs.writeFileSync(path.join(vol.dir, 'ballast'), Buffer.alloc(64 * 1024));
        } catch {
          /* full */
        }
        for (let i = 0; i < 5; i++) expect((await submit(b.url, `{"n":${i}}`)).status).toBe(503);
        // Every submit is refused, yet the pod keeps advertising itself as ready to the Service.
        expect((await fetch(`${b.url}/ready`)).status).toBe(503);
      } finally {
        await b.close();
      }
    } finally {
      vol.unmount();
    }
  });
});

describe('WAL damage and restarts', () => {
  const env = (walDir: string) => ({
    PCS_SIGN_ALG: 'hmac',
    PCS_HMAC_KEY: KEY,
    WAL_DIR: walDir,
    POD_NAME: 'attack-pod',
    DEDUP_BACKEND: 'memory',
  });

  it('one flipped byte in the middle of a segment loses only that record to replay, not every acknowledged record after it', async () => {
    const walDir = fs.mkdtempSync(path.join(scratch, 'flip-'));
    const first = await spawnBackend(env(walDir));
    const acked: number[] = [];
    // Killed within the first snapshot period (5 s): replay alone has to restore the state.
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = w; i < 400; i += 8) {
          const a = await submit(first.url, formatRecord(record('flip', i)));
          if (a.status === 200) acked.push(i);
        }
      }),
    );
    await first.stop('SIGKILL');
    expect(acked.length).toBe(400);
    expect(fs.existsSync(path.join(walDir, 'dedup-snapshot.json'))).toBe(false);

    const folder = path.join(walDir, 'attack-pod');
    const seg = path.join(folder, fs.readdirSync(folder).sort()[0]!);
    const data = fs.readFileSync(seg);
    const recs = scanSegment(data).records;
    expect(recs.length).toBe(400);
    const victim = recs[200]!;
    const at = victim.offset + 40; // inside the body of record 200
    data.writeUInt8((data.readUInt8(at) ^ 0xff) & 0xff, at);
    fs.writeFileSync(seg, data);

    const second = await spawnBackend(env(walDir));
    try {
      let notHits = 0;
      for (const i of acked) {
        const a = await submit(second.url, formatRecord(record('flip', i)));
        if (a.json.dedup_hit !== true) notHits++;
      }
      // Observed: 200 acknowledged records (everything after the flipped byte) come back as new.
      expect(notHits).toBeLessThanOrEqual(1);
    } finally {
      await second.stop('SIGTERM');
    }
  });

  it('a torn tail after SIGKILL is skipped; restarting twice replays idempotently and every acknowledged record stays a dedup hit with its status', async () => {
    const walDir = fs.mkdtempSync(path.join(scratch, 'torn-'));
    const first = await spawnBackend(env(walDir));
    const acked = new Map<number, number>();
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = w; i < 240; i += 8) {
          const a = await submit(first.url, formatRecord(record('torn', i)));
          if (a.status === 200 || a.status === 202) acked.set(i, a.status);
        }
      }),
    );
    await first.stop('SIGKILL');
    // A torn tail: half a record's header appended to the segment.
    const folder = path.join(walDir, 'attack-pod');
    const seg = path.join(folder, fs.readdirSync(folder).sort().at(-1)!);
    fs.appendFileSync(seg, Buffer.from('FLKW\x01\x01\x00\x00\x00\x00', 'latin1'));

    const inspect = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'backend/wal/cli.ts', 'inspect', '--dir', walDir],
      { cwd: REPO_ROOT },
    ).toString();
    expect(inspect).toMatch(/240 records.*damage@\d+: truncated header/);

    for (let round = 0; round < 2; round++) {
      const b = await spawnBackend(env(walDir));
      try {
        for (const [i, status] of acked) {
          const a = await submit(b.url, formatRecord(record('torn', i)));
          expect(a.status).toBe(status);
          expect(a.json.dedup_hit).toBe(true);
        }
      } finally {
        expect(await b.stop('SIGTERM')).toBe(0);
      }
    }
  });
});

/** Starts `npm run backend`'s entry point and resolves with its exit code and output. */
async function startOrFail(env: Record<string, string>) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'backend/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const outcome = await Promise.race([
    exited.then((code) => ({ code })),
    waitForPort(port, 20_000).then(() => ({ code: undefined as number | null | undefined })),
  ]);
  return {
    url: `http://127.0.0.1:${port}`,
    code: outcome.code,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('damaged dedup snapshot', () => {
  function walWithSnapshot(content: string): { walDir: string; snap: string } {
    const walDir = fs.mkdtempSync(path.join(scratch, 'snap-'));
    const snap = path.join(walDir, 'dedup-snapshot.json');
    fs.writeFileSync(snap, content);
    return { walDir, snap };
  }

  it('a truncated snapshot stops the start with one line naming the file, not a stack trace', async () => {
    const { walDir, snap } = walWithSnapshot(
      '{"format":"flk-dedup-snapshot/v1","savedAtMs":1,"entr',
    );
    const p = await startOrFail({ PCS_SIGN_ALG: 'hmac', PCS_HMAC_KEY: KEY, WAL_DIR: walDir });
    try {
      expect(p.code).not.toBe(undefined);
      expect(p.code).not.toBe(0);
      const lines = p.stderr().trim().split('\n');
      expect(lines.some((l) => l.includes(snap))).toBe(true);
      // Observed: the error line is followed by the whole stack (`    at MemoryDedupStore.open ...`).
      expect(lines).toHaveLength(1);
    } finally {
      await p.stop();
    }
  });

  it('a snapshot entry with an impossible status is refused at start or dropped, never served as a 500', async () => {
    const rec = record('snap', 1);
    const { walDir } = walWithSnapshot(
      JSON.stringify({
        format: 'flk-dedup-snapshot/v1',
        savedAtMs: Date.now(),
        entries: [[rec.pcs_id, Date.now() + 86_400_000, { status: 999, outcome: null }]],
      }),
    );
    const p = await startOrFail({ PCS_SIGN_ALG: 'hmac', PCS_HMAC_KEY: KEY, WAL_DIR: walDir });
    try {
      if (p.code !== undefined) return; // refused at start: acceptable
      const a = await submit(p.url, formatRecord(rec));
      // Observed: 500 {"error":{"code":"internal"}} for this pcs_id, for the whole TTL.
      expect(a.status).toBe(200);
    } finally {
      await p.stop();
    }
  });
});
