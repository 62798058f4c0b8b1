import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';

import { HealthServer } from './health-server.ts';

let server: HealthServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(readiness: Array<() => string | undefined>, alive = () => true) {
  const registry = new Registry();
  new Counter({ name: 'flk_operator_example_total', help: 'x', registers: [registry] }).inc();
  server = new HealthServer({ host: '127.0.0.1', port: 0, registry, readiness, alive });
  const { port } = await server.listen();
  return (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
}

describe('HealthServer', () => {
  it('answers /healthz while alive and 503 once shutting down', async () => {
    let alive = true;
    const get = await start([], () => alive);

    expect((await get('/healthz')).status).toBe(200);
    alive = false;
    expect((await get('/healthz')).status).toBe(503);
  });

  it('is ready only when every check passes, and lists the ones that do not', async () => {
    let synced = false;
    const get = await start([
      () => (synced ? undefined : 'informer caches have not synced yet'),
      () => undefined,
    ]);

    const notReady = await get('/readyz');
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toBe('informer caches have not synced yet\n');

    synced = true;
    expect((await get('/readyz')).status).toBe(200);
  });

  it('serves the registry as Prometheus text on /metrics', async () => {
    const get = await start([]);

    const res = await get('/metrics');

    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('flk_operator_example_total 1');
  });

  it('serves nothing else', async () => {
    const get = await start([]);

    expect((await get('/')).status).toBe(404);
    expect((await get('/debug/pprof')).status).toBe(404);
  });
});
