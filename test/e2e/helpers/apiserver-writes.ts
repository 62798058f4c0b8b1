/**
 * Counts write requests from the API server's own metrics (`apiserver_request_total`), so a test
 * can show that the operator made none. Server-side apply is counted under the verb APPLY, so the
 * write verbs are APPLY, PATCH, PUT, POST and DELETE. The counter has no namespace label: it sums
 * over the whole cluster, which is why the tests pick resources only the operator writes in a
 * settled state (status writes of built-in controllers are left out, see `countedWrite`).
 */
import type { KubeClient } from '../../../operator/kube/client.ts';

export const WRITE_VERBS = ['APPLY', 'PATCH', 'PUT', 'POST', 'DELETE', 'DELETECOLLECTION'] as const;

export interface WriteSample {
  /** `resource[/subresource] VERB` → count. */
  counts: Map<string, number>;
}

const LINE = /^apiserver_request_total\{([^}]*)\}\s+([0-9.e+]+)/;

export async function sampleWrites(client: KubeClient): Promise<WriteSample> {
  const text = await client.request<string>({ method: 'GET', path: '/metrics', rawText: true });
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = LINE.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries(
      [...(match[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (!(WRITE_VERBS as readonly string[]).includes(labels.verb ?? '')) continue;
    const key = `${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''} ${labels.verb}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(match[2]));
  }
  return { counts };
}

/** Writes between two samples, for the given resources (`deployments`, `fractallbas/status`, ...). */
export function writesBetween(
  before: WriteSample,
  after: WriteSample,
  resources: readonly string[],
): Map<string, number> {
  const delta = new Map<string, number>();
  for (const [key, value] of after.counts) {
    const resource = key.split(' ')[0] ?? '';
    if (!resources.includes(resource)) continue;
    const diff = value - (before.counts.get(key) ?? 0);
    if (diff > 0) delta.set(key, diff);
  }
  return delta;
}

/**
 * Waits until the given resources see no write for `windowMs`, so that what is measured next is
 * not the tail of earlier activity (a namespace of a previous test being torn down, say). Fails
 * with what is still being written when the cluster does not go quiet in time.
 */
export async function waitForQuiet(
  client: KubeClient,
  resources: readonly string[],
  windowMs = 10_000,
  timeoutMs = 180_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = new Map<string, number>();
  while (Date.now() < deadline) {
    const before = await sampleWrites(client);
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    last = writesBetween(before, await sampleWrites(client), resources);
    if (last.size === 0) return;
  }
  throw new Error(
    `the cluster did not go quiet within ${timeoutMs} ms; still written: ${JSON.stringify(Object.fromEntries(last))}`,
  );
}
