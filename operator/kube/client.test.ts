import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { KubeClient } from './client.ts';
import { KubeApiError } from './errors.ts';

interface Seen {
  method: string;
  url: string;
  contentType?: string;
  body: unknown;
}

let server: http.Server;
let seen: Seen[];
let respond: (req: Seen) => { status: number; body: unknown };
let client: KubeClient;

beforeEach(async () => {
  seen = [];
  respond = () => ({ status: 200, body: {} });
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      const entry = {
        method: req.method ?? '',
        url: req.url ?? '',
        contentType: req.headers['content-type'],
        body: text ? JSON.parse(text) : undefined,
      };
      seen.push(entry);
      const { status, body } = respond(entry);
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'test-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  client = new KubeClient(kc);
});

afterEach(async () => {
  client.close();
  await new Promise((resolve) => server.close(resolve));
});

describe('KubeClient', () => {
  it('server-side applies with the apply content type, field manager and force', async () => {
    await client.apply(
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns' } },
      { fieldManager: 'flk-operator', force: true },
    );

    expect(seen[0]).toMatchObject({
      method: 'PATCH',
      url: '/apis/apps/v1/namespaces/ns/deployments/d?fieldManager=flk-operator&force=true',
      contentType: 'application/apply-patch+yaml',
    });
  });

  it('writes a subresource at its own path', async () => {
    await client.apply(
      {
        apiVersion: 'flk.fractal-lba.io/v1alpha1',
        kind: 'FractalLBA',
        metadata: { name: 'f', namespace: 'ns' },
        status: {},
      },
      { fieldManager: 'flk-operator', force: true, subresource: 'status' },
    );

    expect(seen[0]!.url).toBe(
      '/apis/flk.fractal-lba.io/v1alpha1/namespaces/ns/fractallbas/f/status?fieldManager=flk-operator&force=true',
    );
  });

  it('returns undefined for an object that does not exist', async () => {
    respond = () => ({
      status: 404,
      body: { kind: 'Status', reason: 'NotFound', message: 'configmaps "x" not found' },
    });

    expect(
      await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'x' }),
    ).toBeUndefined();
  });

  it('raises the Status of a failure as a KubeApiError with code, reason and message', async () => {
    respond = () => ({
      status: 409,
      body: { kind: 'Status', reason: 'Conflict', message: 'the object has been modified' },
    });

    const err = await client
      .replace({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'x', namespace: 'ns', resourceVersion: '1' },
      })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({
      statusCode: 409,
      reason: 'Conflict',
      message: 'the object has been modified',
    });
  });

  it('deletes with a uid precondition and a propagation policy', async () => {
    await client.delete(
      { apiVersion: 'v1', kind: 'Service', namespace: 'ns', name: 's' },
      { uid: 'u-1', propagationPolicy: 'Background' },
    );

    expect(seen[0]).toMatchObject({
      method: 'DELETE',
      url: '/api/v1/namespaces/ns/services/s',
      body: {
        kind: 'DeleteOptions',
        propagationPolicy: 'Background',
        preconditions: { uid: 'u-1' },
      },
    });
  });

  it('gives listed items back their apiVersion and kind', async () => {
    respond = () => ({ status: 200, body: { items: [{ metadata: { name: 'a' } }] } });

    const list = await client.list(
      { apiVersion: 'v1', kind: 'Secret' },
      { namespace: 'ns', labelSelector: 'a=b' },
    );

    expect(seen[0]!.url).toBe('/api/v1/namespaces/ns/secrets?labelSelector=a%3Db');
    expect(list.items[0]).toMatchObject({ apiVersion: 'v1', kind: 'Secret' });
  });

  it('finds a kind it does not know through discovery, once', async () => {
    respond = (req) =>
      req.url === '/apis/example.org/v1'
        ? {
            status: 200,
            body: {
              resources: [
                { name: 'widgets', kind: 'Widget', namespaced: true },
                { name: 'widgets/status', kind: 'Widget', namespaced: true },
              ],
            },
          }
        : { status: 200, body: {} };

    await client.get({ apiVersion: 'example.org/v1', kind: 'Widget', namespace: 'ns', name: 'w' });
    await client.get({ apiVersion: 'example.org/v1', kind: 'Widget', namespace: 'ns', name: 'w' });

    expect(seen.map((s) => s.url)).toEqual([
      '/apis/example.org/v1',
      '/apis/example.org/v1/namespaces/ns/widgets/w',
      '/apis/example.org/v1/namespaces/ns/widgets/w',
    ]);
  });
});
