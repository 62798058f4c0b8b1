import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatKeyFile, parseSignerKey } from '../../pcs/keyfile.ts';
import { generateEd25519, generateHmac } from '../../pcs/keygen.ts';
import { formatRecord } from '../../pcs/record.ts';
import { buildRecord, signRecord } from '../../pcs/sign.ts';
import { startBackend, submit, type RunningBackend } from '../harness/backend.ts';
import { projectSecret } from '../harness/secret-projection.ts';

const a = generateEd25519();
const b = generateHmac(32);
const signerA = parseSignerKey(formatKeyFile(a.signer));
const signerB = parseSignerKey(formatKeyFile(b.signer));
const file = (k: typeof a) => ({ [`${k.kid}.json`]: formatKeyFile(k.verifier) });

let n = 0;
const recordBy = (signer: typeof signerA) =>
  formatRecord(signRecord(buildRecord({ shard_id: `reload-${++n}`, epoch: n }), signer));

async function keyIds(url: string): Promise<string[]> {
  const r = (await fetch(`${url}/ready`).then((x) => x.json())) as { keyIds: string[] };
  return [...r.keyIds].sort();
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('keys directory reloaded when kubelet swaps the Secret', () => {
  let dir: string;
  let be: RunningBackend;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flk-projected-'));
    projectSecret(dir, file(a), 'utf8');
    be = await startBackend({ PCS_KEYS_DIR: dir, PCS_KEYS_POLL: '1s' });
  });
  afterAll(async () => {
    await be.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('adds a key, then drops one, without a restart and without a moment with no keys', async () => {
    expect(await keyIds(be.url)).toEqual([a.kid]);

    // While the directory is swapped, a record signed by A (present in both versions) keeps
    // getting 200: there is no window in which the backend has no keys.
    let stop = false;
    const statuses: number[] = [];
    const agent = (async () => {
      while (!stop && statuses.length < 5_000)
        statuses.push((await submit(be.url, recordBy(signerA))).status);
    })();

    for (let i = 0; i < 5; i++) {
      projectSecret(dir, { ...file(a), ...file(b) }, 'utf8');
      await until(async () => (await keyIds(be.url)).length === 2, 'both keys');
      projectSecret(dir, file(a), 'utf8');
      await until(async () => (await keyIds(be.url)).length === 1, 'one key');
    }
    stop = true;
    await agent;
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);

    projectSecret(dir, { ...file(a), ...file(b) }, 'utf8');
    await until(async () => (await keyIds(be.url)).length === 2, 'both keys');
    expect((await submit(be.url, recordBy(signerB))).status).toBe(200);

    projectSecret(dir, file(b), 'utf8');
    await until(async () => (await keyIds(be.url)).join() === b.kid, 'only B');
    expect((await submit(be.url, recordBy(signerA))).status).toBe(401);
    expect((await submit(be.url, recordBy(signerB))).status).toBe(200);
  });

  it('a key file past its not_after stops verifying', async () => {
    const c = generateEd25519();
    const expired = { ...c.verifier, not_after: new Date(Date.now() - 1000).toISOString() };
    projectSecret(dir, { ...file(b), [`${c.kid}.json`]: formatKeyFile(expired) }, 'utf8');
    await until(async () => !(await keyIds(be.url)).includes(a.kid), 'reload');
    const r = await submit(be.url, recordBy(parseSignerKey(formatKeyFile(c.signer))));
    expect(r.status).toBe(401);
  });
});
