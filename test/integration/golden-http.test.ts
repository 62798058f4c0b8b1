import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, submit, type RunningBackend } from '../harness/backend.ts';
import {
  expectedStatuses,
  readGolden,
  REFERENCE_VECTORS,
  SCHEME_NAMES,
} from '../harness/golden.ts';

/**
 * The reference agent's own vectors, POSTed over a real socket to a backend configured the way
 * an operator would configure it for that agent. A verifier that disagrees rejects real agents.
 */
const golden = readGolden(REFERENCE_VECTORS);
const schemes = ['hmac-digest', 'hmac-payload', 'ed25519'] as const;

function envFor(scheme: (typeof schemes)[number]): Record<string, string> {
  if (scheme === 'ed25519')
    return { PCS_SIGN_ALG: 'ed25519', PCS_ED25519_PUB_B64: golden.ed25519PubB64 };
  return {
    PCS_SIGN_ALG: 'hmac',
    PCS_HMAC_KEY: golden.hmacKey,
    PCS_SIGN_SCHEMES: SCHEME_NAMES[scheme],
  };
}

describe.each(schemes)('reference vectors, scheme %s, fresh backend', (scheme) => {
  let b: RunningBackend;
  beforeAll(async () => {
    b = await startBackend(envFor(scheme));
  });
  afterAll(() => b.close());

  const vectors = golden.vectors.filter((v) => v.scheme === scheme);
  it(`has vectors (${vectors.length})`, () => expect(vectors.length).toBeGreaterThan(10));

  // In file order: a tampered vector follows its twin and must find only the twin's outcome.
  it.each(vectors.map((v) => [v.name, v] as const))('%s', async (_name, v) => {
    const before = await b.backend.store.get(v.pcsId);
    const r = await submit(b.url, v.body);
    expect(expectedStatuses(v.expect)).toContain(r.status);

    if (v.name.endsWith('/tampered')) {
      expect(r.json.error.code).toBe('signature_invalid');
      // No trace in the dedup store: the entry (if the twin stored one) is unchanged.
      expect(await b.backend.store.get(v.pcsId)).toEqual(before);
    } else if (r.status === 200 || r.status === 202) {
      expect(r.json.pcs_id).toBe(v.pcsId);
      expect(r.json.dedup_hit).toBe(false);
      expect((await b.backend.store.get(v.pcsId))?.status).toBe(r.status);
    }
  });

  it('a tampered vector never counted as a dedup hit', async () => {
    const text = await fetch(`${b.url}/metrics`).then((r) => r.text());
    expect(text).toMatch(/^flk_dedup_hits 0$/m);
  });
});

describe('reference vectors, one backend accepting all three schemes at once', () => {
  let b: RunningBackend;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flk-golden-keys-'));
    // The reference HMAC key is shorter than the 32 bytes a key file must hold, so it comes
    // through the reference environment; the Ed25519 key comes through the keys directory.
    fs.writeFileSync(
      path.join(dir, 'golden-ed.json'),
      JSON.stringify({
        kid: 'golden-ed',
        alg: 'ed25519',
        schemes: ['ed25519'],
        public_key_b64: golden.ed25519PubB64,
      }),
    );
    b = await startBackend({
      PCS_SIGN_ALG: 'hmac',
      PCS_HMAC_KEY: golden.hmacKey,
      PCS_SIGN_SCHEMES: 'hmac-sha256,hmac-sha256-payload',
      PCS_KEYS_DIR: dir,
    });
  });
  afterAll(async () => {
    await b.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers every vector with its expected status; repeats across schemes are dedup hits', async () => {
    for (const v of golden.vectors) {
      const r = await submit(b.url, v.body);
      expect(expectedStatuses(v.expect), `${v.scheme} ${v.name}`).toContain(r.status);
    }
  });
});
