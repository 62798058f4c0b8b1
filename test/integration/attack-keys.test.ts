/**
 * Attack tests for the verifier keys directory (PCS_KEYS_DIR): kubelet's `..data` symlink flips
 * under load, and key files rewritten in place under the same kid.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatKeyFile, generateHmac, type GeneratedKey } from '../../pcs/keys.ts';
import { formatRecord } from '../../pcs/record.ts';
import { buildRecord, signRecord } from '../../pcs/sign.ts';
import type { Scheme } from '../../pcs/schemes.ts';
import { startBackend, submit, type RunningBackend } from '../harness/backend.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'flk-attack-keys-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** A mounted-Secret folder written the way kubelet writes one (`..data` flip, file symlinks). */
function kubeletDir() {
  const dir = fs.mkdtempSync(path.join(scratch, 'secret-'));
  let gen = 0;
  return {
    dir,
    publish(files: Record<string, string>) {
      const ts = `..${Date.now()}_${++gen}`;
      fs.mkdirSync(path.join(dir, ts));
      for (const [n, c] of Object.entries(files)) fs.writeFileSync(path.join(dir, ts, n), c);
      fs.symlinkSync(ts, path.join(dir, '..data_tmp'));
      fs.renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
      for (const n of Object.keys(files))
        if (!fs.existsSync(path.join(dir, n))) fs.symlinkSync(`..data/${n}`, path.join(dir, n));
      for (const n of fs.readdirSync(dir)) {
        if (!n.startsWith('.') && !(n in files)) fs.unlinkSync(path.join(dir, n));
        else if (n.startsWith('..') && n !== '..data' && n !== ts)
          fs.rmSync(path.join(dir, n), { recursive: true });
      }
    },
  };
}

let n = 0;
function signedBy(key: GeneratedKey, scheme: Scheme = 'hmac-sha256', secretOf = key): string {
  const secret = Buffer.from(secretOf.verifier.secret_b64 as string, 'base64');
  const rec = buildRecord({ shard_id: `keys-${process.pid}-${++n}`, epoch: n });
  return formatRecord(signRecord(rec, { scheme, key: { alg: 'hmac-sha256', secret } }));
}

const settle = () => new Promise((r) => setTimeout(r, 1_500));

describe('keys directory reloads', () => {
  let secret: ReturnType<typeof kubeletDir>;
  let b: RunningBackend;
  const A = generateHmac(32, { schemes: ['hmac-sha256', 'hmac-sha256-payload'] });
  const B = generateHmac(32);
  beforeEach(async () => {
    secret = kubeletDir();
    secret.publish({ [`${A.kid}.json`]: formatKeyFile(A.verifier) });
    b = await startBackend({ PCS_KEYS_DIR: secret.dir, PCS_KEYS_POLL: '200ms' });
  });
  afterEach(() => b.close());

  it('40 kubelet ..data flips under load never refuse a record signed by a key present in every set', async () => {
    let stop = false;
    const statuses = new Map<number, number>();
    const load = Promise.all(
      Array.from({ length: 8 }, async () => {
        while (!stop) {
          const r = await submit(b.url, signedBy(A));
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        }
      }),
    );
    for (let i = 0; i < 40; i++) {
      secret.publish(
        i % 2
          ? { [`${A.kid}.json`]: formatKeyFile(A.verifier) }
          : {
              [`${A.kid}.json`]: formatKeyFile(A.verifier),
              [`${B.kid}.json`]: formatKeyFile(B.verifier),
            },
      );
      await new Promise((r) => setTimeout(r, 50));
    }
    stop = true;
    await load;
    expect([...statuses.keys()]).toEqual([200]);
  });

  it('narrowing a key file to fewer schemes under the same kid takes effect on reload', async () => {
    expect((await submit(b.url, signedBy(A, 'hmac-sha256-payload'))).status).toBe(200);
    secret.publish({
      [`${A.kid}.json`]: formatKeyFile({ ...A.verifier, schemes: ['hmac-sha256'] }),
    });
    await settle();
    // Observed: still 200 — the reload compares only kid/not_after, so the change is ignored.
    expect((await submit(b.url, signedBy(A, 'hmac-sha256-payload'))).status).toBe(401);
    expect((await submit(b.url, signedBy(A))).status).toBe(200);
  });

  it('replacing the secret of a key file under the same kid stops the old secret verifying', async () => {
    const replacement = generateHmac(32);
    secret.publish({
      [`${A.kid}.json`]: formatKeyFile({ ...replacement.verifier, kid: A.kid }),
    });
    await settle();
    // Observed: the old (replaced, perhaps leaked) secret keeps verifying until a restart,
    // and the new one is refused.
    expect((await submit(b.url, signedBy(A))).status).toBe(401);
    expect((await submit(b.url, signedBy(A, 'hmac-sha256', replacement))).status).toBe(200);
  });
});
