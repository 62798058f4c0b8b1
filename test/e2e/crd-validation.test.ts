/**
 * The CRDs on a real API server: they install with server-side apply, and every CEL rule refuses
 * a bad object at admission with its message. Uses $KUBECONFIG, else the local control plane's
 * .flk/kubeconfig (npm run cluster:up). Bad objects are sent with dryRun=All; the transition
 * rules need a stored object, created in a namespace of this test's own and removed after.
 */
import { existsSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { API_VERSION } from '../../operator/api/constants.ts';
import { fractalLBACrd, signingKeyCrd } from '../../operator/api/crd.ts';
import {
  FRACTALLBA_NAME_MESSAGE,
  FRACTALLBA_RULES,
  FRACTALLBA_TRANSITION_RULES,
} from '../../operator/api/fractallba.ts';
import { SIGNINGKEY_RULES } from '../../operator/api/signingkey.ts';

const kubeconfigPath = process.env.KUBECONFIG ?? join(import.meta.dirname, '../../.flk/kubeconfig');
const namespace = `flk-e2e-crd-${randomBytes(3).toString('hex')}`;
let client: KubernetesObjectApi;
let core: CoreV1Api;

const message = (
  rules: readonly { field: string; message: string }[],
  field: string,
  fragment: string,
) => {
  const found = rules.find((r) => r.field === field && r.message.includes(fragment));
  if (!found) throw new Error(`no rule on ${field} with "${fragment}"`);
  return found.message;
};
const flkRule = (field: string, fragment: string) => message(FRACTALLBA_RULES, field, fragment);
const skRule = (field: string, fragment: string) => message(SIGNINGKEY_RULES, field, fragment);

const object = (kind: string, spec: unknown, name = 'bad'): KubernetesObject =>
  ({ apiVersion: API_VERSION, kind, metadata: { name, namespace }, spec }) as KubernetesObject;

/** The API server's answer to a dry-run create: '' when accepted, else its message. */
async function refusal(obj: KubernetesObject): Promise<string> {
  try {
    await client.create(obj, undefined, 'All');
    return '';
  } catch (err) {
    const e = err as { code?: number; body?: unknown; message?: string };
    if (e.code !== 422) throw err;
    return statusMessage(e.body);
  }
}

/** The answer to a dry-run merge patch of a stored object: '' when accepted, else its message. */
async function patchRefusal(obj: KubernetesObject): Promise<string> {
  try {
    await client.patch(obj, undefined, 'All', 'flk-e2e', undefined, PatchStrategy.MergePatch);
    return '';
  } catch (err) {
    const e = err as { code?: number; body?: unknown };
    if (e.code !== 422) throw err;
    return statusMessage(e.body);
  }
}

/** The `message` of the Status the API server answered with (its JSON escapes `<` and `>`). */
function statusMessage(body: unknown): string {
  const status = typeof body === 'string' ? JSON.parse(body) : body;
  return String((status as { message?: string })?.message ?? JSON.stringify(body));
}

async function waitEstablished(name: string): Promise<void> {
  for (let i = 0; i < 60; i += 1) {
    const crd = (await client.read({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name },
    })) as { status?: { conditions?: { type: string; status: string }[] } };
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'))
      return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`CRD ${name} not Established after 30 s`);
}

/**
 * Server-side apply of a CRD as raw JSON. Not through KubernetesObjectApi: its typed serializer
 * maps CRD fields by their TypeScript names and silently drops `x-kubernetes-*` keys (CEL rules,
 * int-or-string), which the API server then refuses as a non-structural schema.
 */
async function applyCrd(kc: KubeConfig, crd: { metadata: { name: string } }): Promise<void> {
  const server = new URL(kc.getCurrentCluster()!.server);
  const path =
    `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}` +
    '?fieldManager=flk-e2e&force=true';
  const opts: import('node:https').RequestOptions = {
    method: 'PATCH',
    hostname: server.hostname,
    port: server.port,
    path,
    headers: { 'content-type': 'application/apply-patch+yaml' },
  };
  await kc.applyToHTTPSOptions(opts);
  const body = JSON.stringify(crd);
  await new Promise<void>((resolve, reject) => {
    const req = request(opts, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () =>
        res.statusCode === 200 || res.statusCode === 201
          ? resolve()
          : reject(new Error(`apply ${crd.metadata.name}: HTTP ${res.statusCode}: ${text}`)),
      );
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('apply timed out after 30 s')));
    req.end(body);
  });
}

beforeAll(async () => {
  if (!existsSync(kubeconfigPath)) {
    throw new Error(
      `no cluster: ${kubeconfigPath} is missing; run npm run cluster:up or set KUBECONFIG`,
    );
  }
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  client = KubernetesObjectApi.makeApiClient(kc);
  core = kc.makeApiClient(CoreV1Api);

  for (const crd of [fractalLBACrd(), signingKeyCrd()]) {
    const typed = crd as { metadata: { name: string } };
    await applyCrd(kc, typed);
    await waitEstablished(typed.metadata.name);
  }
  await core.createNamespace({ body: { metadata: { name: namespace } } });
});

afterAll(async () => {
  await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
});

const keyRefs = { signing: { keyRefs: [{ name: 'agents' }] } };
const redis = { dedup: { backend: 'redis', redis: { secretRef: { name: 'redis' } } } };

describe('FractalLBA admission', () => {
  it.each([
    [
      'ReadWriteOnce WAL with 2 replicas',
      { ...keyRefs, ...redis, replicas: 2 },
      flkRule('wal.accessMode', 'ReadWriteOnce'),
    ],
    [
      'ReadWriteOnce WAL with HPA max 10',
      { ...keyRefs, ...redis, autoscaling: { enabled: true } },
      flkRule('wal.accessMode', 'ReadWriteOnce'),
    ],
    [
      'memory dedup with 2 replicas',
      { ...keyRefs, replicas: 2, wal: { accessMode: 'ReadWriteMany' } },
      flkRule('dedup.backend', 'memory'),
    ],
    [
      'memory dedup with HPA max 4',
      {
        ...keyRefs,
        autoscaling: { enabled: true, maxReplicas: 4 },
        wal: { accessMode: 'ReadWriteMany' },
      },
      flkRule('dedup.backend', 'memory'),
    ],
    [
      'autoscaling min above max',
      { ...keyRefs, autoscaling: { minReplicas: 5, maxReplicas: 3 } },
      flkRule('autoscaling.minReplicas', 'must not exceed'),
    ],
    [
      'redis without a Secret',
      { ...keyRefs, dedup: { backend: 'redis' } },
      flkRule('dedup.redis', 'redis'),
    ],
    [
      'postgres without a Secret',
      { ...keyRefs, dedup: { backend: 'postgres' } },
      flkRule('dedup.postgres', 'postgres'),
    ],
    [
      'signing none with keyRefs',
      { signing: { mode: 'none', keyRefs: [{ name: 'a' }] } },
      flkRule('signing.keyRefs', 'mode none'),
    ],
    ['signing keys without keyRefs', {}, flkRule('signing.keyRefs', 'at least one')],
    [
      'ingress TLS without host',
      { ...keyRefs, ingress: { enabled: true, tlsSecretName: 't' } },
      flkRule('ingress.host', 'tlsSecretName'),
    ],
    [
      'ingress issuer without host',
      { ...keyRefs, ingress: { enabled: true, issuerRef: { name: 'le' } } },
      flkRule('ingress.host', 'issuerRef'),
    ],
    ['TLS without a certificate source', { ...keyRefs, tls: {} }, flkRule('tls', 'exactly one')],
    [
      'TLS with both certificate sources',
      { ...keyRefs, tls: { secretName: 's', certificate: { issuerRef: { name: 'ca' } } } },
      flkRule('tls', 'exactly one'),
    ],
    [
      'mTLS behind an Ingress without a client certificate for it',
      {
        ...keyRefs,
        tls: { secretName: 's', clientCA: { secretName: 'ca' } },
        ingress: { enabled: true },
      },
      flkRule('ingress.backendClientCertSecretName', 'clientCA'),
    ],
    [
      "a certificate lifetime under cert-manager's 1h",
      { ...keyRefs, tls: { certificate: { issuerRef: { name: 'ca' }, duration: '30m' } } },
      flkRule('tls.certificate.duration', 'at least 1h'),
    ],
    [
      "a renewal window under cert-manager's 5m",
      { ...keyRefs, tls: { certificate: { issuerRef: { name: 'ca' }, renewBefore: '1m' } } },
      flkRule('tls.certificate.renewBefore', 'at least 5m'),
    ],
    [
      'renewBefore not shorter than duration',
      {
        ...keyRefs,
        tls: { certificate: { issuerRef: { name: 'ca' }, duration: '1h', renewBefore: '2h' } },
      },
      flkRule('tls.certificate.renewBefore', 'shorter than'),
    ],
    [
      "renewBefore not shorter than cert-manager's default lifetime",
      { ...keyRefs, tls: { certificate: { issuerRef: { name: 'ca' }, renewBefore: '100d' } } },
      flkRule('tls.certificate.renewBefore', 'shorter than'),
    ],
    [
      'a certificate with an empty list of DNS names',
      { ...keyRefs, tls: { certificate: { issuerRef: { name: 'ca' }, dnsNames: [] } } },
      'spec.tls.certificate.dnsNames in body should have at least 1 items',
    ],
    [
      'PDB with both bounds',
      { ...keyRefs, pdb: { minAvailable: 1, maxUnavailable: 1 } },
      flkRule('pdb', 'not both'),
    ],
    ['zero dedup TTL', { ...keyRefs, dedup: { ttl: '0s' } }, 'must be longer than 0s'],
    [
      'empty network peer',
      { ...keyRefs, networkPolicy: { ingestFrom: [{}] } },
      'set namespaceSelector, podSelector or both',
    ],
  ])('refuses %s with its message', async (_case, spec, want) => {
    expect(await refusal(object('FractalLBA', spec))).toContain(want);
  });

  it('refuses a name too long for its children', async () => {
    const obj = object('FractalLBA', keyRefs, 'a-name-that-is-far-too-long-for-the-cronjob');
    expect(await refusal(obj)).toContain(FRACTALLBA_NAME_MESSAGE);
  });

  it.each(['fractallba-dev', 'fractallba-mtls', 'fractallba-prod'])(
    'accepts the %s example spec',
    async (name) => {
      const { parse } = await import('yaml');
      const { readFileSync } = await import('node:fs');
      const example = parse(
        readFileSync(join(import.meta.dirname, `../../examples/${name}.yaml`), 'utf8'),
      );
      expect(await refusal(object('FractalLBA', example.spec, example.metadata.name))).toBe('');
    },
  );

  it('refuses a change of the WAL access mode or storage class once stored', async () => {
    await client.create(object('FractalLBA', { signing: { mode: 'none' } }, 'stored'));
    const patch = (wal: unknown) => patchRefusal(object('FractalLBA', { wal }, 'stored'));
    const [accessMode, storageClass] = FRACTALLBA_TRANSITION_RULES.map((r) => r.message);
    expect(await patch({ accessMode: 'ReadWriteMany' })).toContain(accessMode);
    expect(await patch({ storageClassName: 'other' })).toContain(storageClass);
    expect(await patch({ retention: '3d' })).toBe('');
  });
});

describe('SigningKey admission', () => {
  it.each([
    [
      'overlap as long as the interval',
      { algorithm: 'ed25519', rotationInterval: '1d', overlap: '24h' },
      skRule('overlap', 'the interval must be longer than the overlap'),
    ],
    [
      'overlap above the default interval',
      { algorithm: 'ed25519', overlap: '31d' },
      skRule('overlap', 'the interval must be longer than the overlap'),
    ],
    [
      'an ed25519 scheme on an hmac key',
      { algorithm: 'hmac-sha256', schemes: ['ed25519'] },
      skRule('schemes', 'must suit'),
    ],
    [
      'an hmac scheme on an ed25519 key',
      { algorithm: 'ed25519', schemes: ['hmac-sha256'] },
      skRule('schemes', 'must suit'),
    ],
    [
      'import without a Secret',
      { algorithm: 'ed25519', source: { mode: 'import' } },
      skRule('source.secretRef', 'needs spec.source.secretRef.name'),
    ],
    [
      'generate with a Secret',
      { algorithm: 'ed25519', source: { secretRef: { name: 'x' } } },
      skRule('source.secretRef', 'read only when'),
    ],
  ])('refuses %s with its message', async (_case, spec, want) => {
    expect(await refusal(object('SigningKey', spec))).toContain(want);
  });

  it('accepts short e2e intervals (40 s interval, 20 s overlap)', async () => {
    const spec = { algorithm: 'hmac-sha256', rotationInterval: '40s', overlap: '20s' };
    expect(await refusal(object('SigningKey', spec))).toBe('');
  });

  it('refuses a change of algorithm once stored', async () => {
    await client.create(object('SigningKey', { algorithm: 'ed25519' }, 'stored'));
    const changed = object('SigningKey', { algorithm: 'hmac-sha256' }, 'stored');
    expect(await patchRefusal(changed)).toContain('spec.algorithm cannot change');
  });
});
