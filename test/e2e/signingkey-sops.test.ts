/**
 * Keys from Git with sops and age, on the real control plane, the way docs/gitops-keys.md tells a
 * person to do it. Key material is generated locally with the repository's CLI, put into the
 * Secret template of examples/sops/ and encrypted with sops to an age recipient; only the holder
 * of the age identity can decrypt it, as Argo CD's repo-server (KSOPS) or Flux's
 * kustomize-controller does before applying. The SigningKey of examples/sops/ imports the
 * decrypted Secret; a backend verifying against its projected verifier Secret accepts records
 * signed with the local copy of the key and refuses any other key, and a newly committed key
 * rotates verifier-first while the previous one keeps verifying.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

import { formatKeyFile, generateEd25519, generateHmac, loadSignerDir } from '../../pcs/keys.ts';
import { parseSignerKey, type SignerKey } from '../../pcs/keyfile.ts';
import { verifierSecretName } from '../../operator/api/constants.ts';
import { resolveSigningKey } from '../../operator/api/signingkey.ts';
import type { KubeClient } from '../../operator/kube/client.ts';
import type { KubeObject } from '../../operator/kube/types.ts';
import { SIGNINGKEY_LABEL } from '../../operator/signingkey/names.ts';
import { submit, type BackendProcess } from '../harness/backend.ts';
import { REPO, createNamespace, installCrds, testClient } from './helpers/cluster.ts';
import { KeySecretsObserver } from './helpers/key-secrets-observer.ts';
import { OperatorProcess } from './helpers/operator-process.ts';
import { SecretProjection } from './helpers/secret-projection.ts';
import { ENCRYPTED_REGEX, Sops, ageKeygen, findSops, type AgeIdentity } from './helpers/sops.ts';
import {
  backendKeyIds,
  conditionOf,
  keyIn,
  readSigner,
  signedRecord,
  signingKey,
  startBackends,
  waitForSigningKey,
} from './helpers/signingkey.ts';
import { waitFor } from './helpers/wait.ts';

const EXAMPLES = path.join(REPO, 'examples/sops');
const KEY_PLACEHOLDER = 'REPLACE_WITH_BASE64_KEY_MATERIAL';
const RECIPIENT_PLACEHOLDER = 'REPLACE_WITH_AGE_RECIPIENT';
/** Where the encrypted Secret sits in the configuration repository (examples/sops/argocd/). */
const ENCRYPTED_PATH = 'flk/keys/signingkey-secret.enc.yaml';
/** Flux's field manager: the decrypted Secret is applied as kustomize-controller applies it. */
const GITOPS_MANAGER = 'kustomize-controller';

const exampleText = (file: string) => readFileSync(path.join(EXAMPLES, file), 'utf8');
const template = parse(exampleText('signingkey-secret.template.yaml')) as KubeObject;
const example = parse(exampleText('argocd/signingkey.yaml')) as KubeObject & {
  spec: { source: { secretRef: { name: string } } };
};
const SK = example.metadata.name ?? '';

let work: string;
let sops: Sops;
let identity: AgeIdentity;
let client: KubeClient;
let ns: { name: string; remove: () => Promise<void> };
let operator: OperatorProcess;
let observer: KeySecretsObserver;
const projections: SecretProjection[] = [];
const backends: BackendProcess[] = [];
let first: LocalKey;
let backend: BackendProcess;

/** Why sops or age cannot run; every test that needs them fails with it (never skips). */
let missingTool: Error | undefined;

function needTools(): void {
  if (missingTool) throw missingTool;
}

beforeAll(async () => {
  // The tools first: without sops or age nothing touches the cluster.
  work = mkdtempSync(path.join(os.tmpdir(), 'flk-e2e-sops-'));
  try {
    sops = new Sops(findSops(), path.join(work, 'home'));
    identity = ageKeygen(path.join(work, 'cluster-only', 'keys.txt'));
  } catch (err) {
    missingTool = err as Error;
    return;
  }
  mkdirSync(path.join(work, 'plain'), { mode: 0o700 });
  mkdirSync(path.join(work, 'repo', path.dirname(ENCRYPTED_PATH)), { recursive: true });

  client = testClient();
  await installCrds(client);
  ns = await createNamespace(client, 'flk-e2e-sksops');
  operator = await OperatorProcess.start({ name: 'sk-sops', namespaces: [ns.name] });
  await operator.waitReady();
  observer = await KeySecretsObserver.start(client, ns.name, SK);
});

afterAll(async () => {
  await Promise.all(backends.map((b) => b.stop()));
  await Promise.all(projections.map((p) => p.stop()));
  await observer?.stop();
  await operator?.stop();
  await ns?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
});

interface LocalKey {
  kid: string;
  /** The base64 text that goes into the Secret: seed_b64 or secret_b64 of signer.json. */
  material: string;
  /** The local signer file, read back as an agent outside the cluster would read it. */
  signer: SignerKey;
}

/** `npm run sign -- keygen --alg ALG --out DIR`, on this machine, outside the cluster. */
async function localKey(alg: 'ed25519' | 'hmac-sha256', name: string): Promise<LocalKey> {
  const out = path.join(work, 'plain', name);
  const cli = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'pcs/cli.ts', 'keygen', '--alg', alg, '--out', out],
    { cwd: REPO, encoding: 'utf8', timeout: 60_000 },
  );
  expect(cli.status, cli.stderr).toBe(0);
  const { kid } = JSON.parse(cli.stdout) as { kid: string };
  const file = JSON.parse(readFileSync(path.join(out, 'signer', 'signer.json'), 'utf8'));
  const material = (file.seed_b64 ?? file.secret_b64) as string;
  return { kid, material, signer: await loadSignerDir(path.join(out, 'signer')) };
}

/**
 * The template of examples/sops/ filled in, in a plaintext folder outside the "repository", as
 * the docs do it: `sed -e '/^ *#/d' -e "s|PLACEHOLDER|$material|"` (the comments are dropped).
 */
function plaintextSecret(name: string, material: string, secretName?: string): string {
  let text = exampleText('signingkey-secret.template.yaml');
  expect(text).toContain(`key: ${KEY_PLACEHOLDER}`);
  text = text
    .split('\n')
    .filter((line) => !/^ *#/.test(line))
    .join('\n')
    .replace(`key: ${KEY_PLACEHOLDER}`, `key: ${material}`);
  if (secretName) text = text.replace(`name: ${template.metadata.name}`, `name: ${secretName}`);
  const file = path.join(work, 'plain', `${name}.yaml`);
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

/** What goes into Git: no key material, no identity, only encrypted values. */
function expectSafeToCommit(encrypted: string, material: string, secretName: string): void {
  expect(encrypted, 'the key material is not in the encrypted file').not.toContain(material);
  expect(encrypted, 'nor is the age identity').not.toContain(
    readFileSync(identity.file, 'utf8').match(/AGE-SECRET-KEY-1\w+/)![0],
  );
  expect(encrypted).not.toContain('AGE-SECRET-KEY-');
  expect(encrypted).toContain('ENC[');
  const doc = parse(encrypted);
  expect(doc.metadata.name, 'metadata stays readable').toBe(secretName);
  expect(doc.stringData.key).toMatch(/^ENC\[AES256_GCM,/);
  expect(doc.sops.age.map((a: { recipient: string }) => a.recipient)).toEqual([identity.recipient]);
  expect(doc.sops.encrypted_regex).toBe(ENCRYPTED_REGEX);
}

/** Decrypts as the GitOps tool does and applies the result (Flux: into its targetNamespace). */
async function decryptAndApply(encryptedFile: string): Promise<void> {
  const plain = sops.run(['decrypt', encryptedFile], {
    cwd: work,
    identityFile: identity.file,
  });
  expect(plain.code, plain.stderr).toBe(0);
  const secret = parse(plain.stdout) as KubeObject & { sops?: unknown };
  expect(secret.sops, 'decryption removes the sops metadata').toBeUndefined();
  secret.metadata.namespace = ns.name;
  await client.apply(secret, { fieldManager: GITOPS_MANAGER, force: true });
}

async function serveVerifierOf(signingKeyName: string): Promise<BackendProcess> {
  const dir = mkdtempSync(path.join(work, 'keys-'));
  const projection = await SecretProjection.start({
    client,
    namespace: ns.name,
    name: verifierSecretName(signingKeyName),
    labelSelector: `${SIGNINGKEY_LABEL}=${signingKeyName}`,
    dir,
  });
  projections.push(projection);
  await projection.waitFor('to hold a key', (keys) => keys.some((k) => k.endsWith('.json')));
  const [started] = await startBackends(1, dir);
  backends.push(started!);
  return started!;
}

/** A key the cluster never saw, as a signer file. */
const strangerSigner = (alg: 'ed25519' | 'hmac-sha256') =>
  parseSignerKey(formatKeyFile((alg === 'ed25519' ? generateEd25519() : generateHmac()).signer));

describe('examples/sops', () => {
  it('the Argo CD and Flux folders hold the same valid SigningKey, importing the Secret of the template', () => {
    expect(exampleText('flux/keys/signingkey.yaml')).toBe(exampleText('argocd/signingkey.yaml'));
    const resolved = resolveSigningKey(example);
    expect(resolved.ok && resolved.spec.source.mode).toBe('import');
    expect(example.spec.source.secretRef.name).toBe(template.metadata.name);
  });

  it('the kustomizations read the encrypted file that the creation rule of .sops.yaml matches', () => {
    const rule = parse(exampleText('.sops.yaml')).creation_rules[0];
    expect(rule.encrypted_regex).toBe(ENCRYPTED_REGEX);
    expect(rule.age).toBe(RECIPIENT_PLACEHOLDER);
    const ksops = parse(exampleText('argocd/ksops-generator.yaml'));
    const flux = parse(exampleText('flux/keys/kustomization.yaml'));
    const encrypted = [...ksops.files, ...flux.resources].filter((f: string) =>
      f.includes('.enc.'),
    );
    expect(encrypted).toHaveLength(2);
    for (const file of encrypted) expect(file).toMatch(new RegExp(rule.path_regex));
    expect(`./${path.basename(ENCRYPTED_PATH)}`).toBe(ksops.files[0]);
  });

  it('holds placeholders only: no age identity, no key material', () => {
    const files = readdirSync(EXAMPLES, { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.yaml'),
    );
    expect(files).toHaveLength(8);
    for (const file of files) {
      const text = exampleText(file);
      expect(text, file).not.toMatch(/AGE-SECRET-KEY-1[0-9A-Z]{58}/);
      expect(text, file).not.toMatch(/age1[02-9ac-hj-np-z]{58}/);
      // 32 bytes or more of base64, the shape of a seed or an HMAC secret
      expect(text, file).not.toMatch(/[A-Za-z0-9+/]{43}=?/);
    }
  });
});

describe('keys from Git, encrypted with sops and age', () => {
  it('a key generated locally, encrypted to an age recipient and decrypted with its identity, is imported: a backend accepts records signed with the local key and refuses other keys', async () => {
    needTools();
    first = await localKey('ed25519', 'first');
    const plainFile = plaintextSecret('secret-first', first.material);
    const encrypted = sops.run(
      ['encrypt', '--age', identity.recipient, '--encrypted-regex', ENCRYPTED_REGEX, plainFile],
      { cwd: work },
    );
    expect(encrypted.code, encrypted.stderr).toBe(0);
    expectSafeToCommit(encrypted.stdout, first.material, template.metadata.name!);
    const committed = path.join(work, 'repo', ENCRYPTED_PATH);
    writeFileSync(committed, encrypted.stdout);

    const withoutIdentity = sops.run(['decrypt', committed], { cwd: work });
    expect(withoutIdentity.code, 'no identity, no plaintext').not.toBe(0);
    expect(withoutIdentity.stdout).not.toContain(first.material);
    const stranger = ageKeygen(path.join(work, 'someone-else', 'keys.txt'));
    const withOther = sops.run(['decrypt', committed], { cwd: work, identityFile: stranger.file });
    expect(withOther.code, 'another identity cannot decrypt either').not.toBe(0);
    expect(withOther.stdout).not.toContain(first.material);

    await decryptAndApply(committed);
    await client.apply(
      { ...example, metadata: { ...example.metadata, namespace: ns.name } },
      { fieldManager: GITOPS_MANAGER, force: true },
    );
    const ready = await waitForSigningKey(client, ns.name, SK, `${first.kid} Active`, (sk) =>
      conditionOf(sk, 'Ready')?.status === 'True' && sk.status?.activeKeyId === first.kid
        ? sk
        : undefined,
    );
    expect(ready.status?.keys?.map((k) => k.kid)).toEqual([first.kid]);
    expect((await readSigner(client, ns.name, SK)).active?.kid).toBe(first.kid);

    backend = await serveVerifierOf(SK);
    await waitFor(`the backend to load ${first.kid}`, 30_000, async () =>
      (await backendKeyIds(backend.url)).includes(first.kid),
    );
    const accepted = await submit(backend.url, signedRecord(first.signer, 'from-git'));
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.json.accepted).toBe(true);
    const refused = await submit(backend.url, signedRecord(strangerSigner('ed25519'), 'other'));
    expect(refused.status, refused.text).toBe(401);
    expect(refused.json.error?.code).toBe('signature_invalid');
  });

  it('committing a new encrypted key (by the creation rule of .sops.yaml) rotates verifier-first to it; the previous key keeps verifying during the overlap', async () => {
    needTools();
    expect(first, 'needs the key of the first test').toBeDefined();
    const next = await localKey('ed25519', 'next');
    const repo = path.join(work, 'repo');
    const rules = parse(exampleText('.sops.yaml'));
    rules.creation_rules[0].age = identity.recipient;
    writeFileSync(path.join(repo, '.sops.yaml'), stringify(rules));
    const plainFile = plaintextSecret('secret-next', next.material);
    // As in the docs: sops picks the creation rule by the name the file will have in Git.
    const encrypted = sops.run(['encrypt', '--filename-override', ENCRYPTED_PATH, plainFile], {
      cwd: repo,
    });
    expect(encrypted.code, encrypted.stderr).toBe(0);
    expectSafeToCommit(encrypted.stdout, next.material, template.metadata.name!);
    writeFileSync(path.join(repo, ENCRYPTED_PATH), encrypted.stdout);

    await decryptAndApply(path.join(repo, ENCRYPTED_PATH));
    const rotated = await waitForSigningKey(client, ns.name, SK, `${next.kid} Active`, (sk) =>
      sk.status?.activeKeyId === next.kid && keyIn(sk, first.kid)?.state === 'Retiring'
        ? sk
        : undefined,
    );
    expect(Date.parse(keyIn(rotated, first.kid)?.notAfter ?? '')).toBeGreaterThan(Date.now());
    expect((await readSigner(client, ns.name, SK)).active?.kid).toBe(next.kid);
    expect(observer.signedBeforeVerified()).toEqual([]);
    expect(observer.mintedKids().sort(), 'the operator mints no key of its own').toEqual(
      [first.kid, next.kid].sort(),
    );

    await waitFor(`the backend to load ${next.kid}`, 30_000, async () =>
      (await backendKeyIds(backend.url)).includes(next.kid),
    );
    const fresh = await submit(backend.url, signedRecord(next.signer, 'next'));
    expect(fresh.status, fresh.text).toBe(200);
    const retiring = await submit(backend.url, signedRecord(first.signer, 'retiring'));
    expect(retiring.status, `the Retiring key, inside its overlap: ${retiring.text}`).toBe(200);
  });

  it('imports an HMAC secret the same way', async () => {
    needTools();
    const name = 'agents-hmac-imported';
    const key = await localKey('hmac-sha256', 'hmac');
    const secretName = `${name}-key`;
    const plainFile = plaintextSecret('secret-hmac', key.material, secretName);
    const committed = path.join(work, 'repo', 'flk/keys/hmac-secret.enc.yaml');
    const encrypted = sops.run(
      ['encrypt', '--age', identity.recipient, '--encrypted-regex', ENCRYPTED_REGEX, plainFile],
      { cwd: work },
    );
    expect(encrypted.code, encrypted.stderr).toBe(0);
    expectSafeToCommit(encrypted.stdout, key.material, secretName);
    writeFileSync(committed, encrypted.stdout);

    await decryptAndApply(committed);
    const sk = signingKey(ns.name, name, {
      algorithm: 'hmac-sha256',
      source: { mode: 'import', secretRef: { name: secretName } },
    });
    await client.apply(sk, { fieldManager: GITOPS_MANAGER, force: true });
    await waitForSigningKey(
      client,
      ns.name,
      name,
      `${key.kid} Active`,
      (s) => conditionOf(s, 'Ready')?.status === 'True' && s.status?.activeKeyId === key.kid,
    );

    const hmacBackend = await serveVerifierOf(name);
    await waitFor(`the backend to load ${key.kid}`, 30_000, async () =>
      (await backendKeyIds(hmacBackend.url)).includes(key.kid),
    );
    expect((await submit(hmacBackend.url, signedRecord(key.signer, 'hmac'))).status).toBe(200);
    const other = await submit(hmacBackend.url, signedRecord(strangerSigner('hmac-sha256'), 'x'));
    expect(other.status, other.text).toBe(401);
  });
});
