/**
 * The informer against a real HTTP server that goes away and comes back, as an API server does
 * when it restarts: client-node's Watch and ListWatch underneath, real sockets on loopback. While
 * the server is down the informer retries with backoff; when it is back and the old resource
 * version has been compacted (410 Gone), it relists and reports what changed meanwhile, with one
 * watch open at the end, never two.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { KubeConfig, Watch } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';

import { exponentialBackoff } from './backoff.ts';
import { KubeClient } from './client.ts';
import { Informer } from './informer.ts';
import type { KubeObject } from './types.ts';

const PATH = '/api/v1/namespaces/ns/configmaps';

class FakeApiServer {
  private readonly objects = new Map<string, KubeObject>();
  private readonly watchers = new Set<http.ServerResponse>();
  private readonly sockets = new Set<Socket>();
  private server: http.Server | undefined;
  private rv = 10;
  compactedBelow = 0;
  maxOpenWatches = 0;
  port = 0;

  openWatches(): number {
    return this.watchers.size;
  }

  put(name: string): void {
    const type = this.objects.has(name) ? 'MODIFIED' : 'ADDED';
    const obj = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'ns', resourceVersion: String(++this.rv) },
    };
    this.objects.set(name, obj);
    this.broadcast(type, obj);
  }

  remove(name: string): void {
    const obj = this.objects.get(name);
    if (!obj) return;
    this.objects.delete(name);
    this.broadcast('DELETED', {
      ...obj,
      metadata: { ...obj.metadata, resourceVersion: String(++this.rv) },
    });
  }

  /** Forgets history: a watch resuming from before now gets 410 Gone. */
  compact(): void {
    this.compactedBelow = this.rv;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Goes away at once, as a killed process does: listener closed, every connection cut. */
  async crash(): Promise<void> {
    const closed = new Promise((resolve) => this.server?.close(resolve));
    for (const socket of this.sockets) socket.destroy();
    this.watchers.clear();
    await closed;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== PATH) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    if (url.searchParams.get('watch') !== 'true') {
      res.end(
        JSON.stringify({
          metadata: { resourceVersion: String(this.rv) },
          items: [...this.objects.values()],
        }),
      );
      return;
    }
    if (Number(url.searchParams.get('resourceVersion')) < this.compactedBelow) {
      res.end(
        `${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } })}\n`,
      );
      return;
    }
    // Like the API server, send the headers at once; events follow as they happen.
    res.flushHeaders();
    this.watchers.add(res);
    this.maxOpenWatches = Math.max(this.maxOpenWatches, this.watchers.size);
    res.on('close', () => this.watchers.delete(res));
  }

  private broadcast(type: string, object: KubeObject): void {
    for (const res of this.watchers) res.write(`${JSON.stringify({ type, object })}\n`);
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let server: FakeApiServer;
let informer: Informer<KubeObject> | undefined;
let client: KubeClient | undefined;

afterEach(async () => {
  await informer?.stop();
  client?.close();
  await server?.crash();
});

describe('Informer across a server restart', () => {
  it(
    'reconnects, relists after 410 Gone, reports what changed while it was away, and holds one watch',
    { timeout: 30_000 },
    async () => {
      server = new FakeApiServer();
      server.put('a');
      server.put('b');
      await server.start();

      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'c', server: `http://127.0.0.1:${server.port}`, skipTLSVerify: true }],
        users: [{ name: 'u', token: 't' }],
        contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
        currentContext: 'x',
      });
      client = new KubeClient(kc);
      const seen: string[] = [];
      informer = new Informer<KubeObject>({
        name: 'configmaps',
        path: PATH,
        list: () => client!.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: 'ns' }),
        watch: new Watch(kc),
        backoff: exponentialBackoff({ initialMs: 50, maxMs: 400 }),
      });
      informer.on('add', (o) => seen.push(`add ${o.metadata.name}`));
      informer.on('delete', (o) => seen.push(`delete ${o.metadata.name}`));
      informer.start();
      await informer.waitForSync();
      await until('the watch to open', () => server.openWatches() === 1);

      server.put('c');
      await until(
        'the new object to arrive through the watch',
        () => informer!.get('c', 'ns') !== undefined,
      );

      await server.crash();
      server.remove('a');
      server.put('d');
      server.compact();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const whileDown = informer.stats();
      expect(whileDown.reconnects).toBeGreaterThanOrEqual(2);
      expect(whileDown.activeWatches).toBeLessThanOrEqual(1);

      await server.start();
      await until(
        'the cache to match the server again',
        () => ['b', 'c', 'd'].every((n) => informer!.get(n, 'ns')) && !informer!.get('a', 'ns'),
      );
      await until('one watch to be open', () => server.openWatches() === 1);

      expect(seen).toEqual(['add a', 'add b', 'add c', 'delete a', 'add d']);
      expect(server.maxOpenWatches).toBe(1);
      expect(informer.stats().activeWatches).toBe(1);

      await informer.stop();
      await until('the watch to be closed', () => server.openWatches() === 0);
    },
  );
});
