import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerSigningKeyMetrics, type SigningKeyView } from './signingkey-metrics.ts';

const rotating: SigningKeyView = {
  metadata: { namespace: 'ingest', name: 'agents' },
  status: {
    keys: [
      { kid: 'k1', state: 'Expired', expiredAt: '2026-01-01T00:00:00Z' },
      { kid: 'k2', state: 'Retiring', notAfter: '2026-02-01T00:00:00Z' },
      { kid: 'k3', state: 'Active' },
    ],
    nextRotationTime: '2026-03-01T00:00:00Z',
    conditions: [
      {
        type: 'Degraded',
        status: 'True',
        reason: 'RolloutTimedOut',
        message: 'late',
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ],
  },
};

async function scrape(sks: SigningKeyView[]): Promise<string> {
  const registry = new Registry();
  registerSigningKeyMetrics(registry, () => sks);
  return registry.metrics();
}

describe('SigningKey gauges', () => {
  it('count keys per state, zeros included, under signingkey_namespace and signingkey', async () => {
    const text = await scrape([rotating]);
    const id = 'signingkey_namespace="ingest",signingkey="agents"';
    expect(text).toContain(`flk_signingkey_keys{${id},state="Active"} 1`);
    expect(text).toContain(`flk_signingkey_keys{${id},state="Pending"} 0`);
    expect(text).toContain(`flk_signingkey_keys{${id},state="Expired"} 1`);
  });

  it('give each condition a 1 for its status and 0 for the other two', async () => {
    const text = await scrape([rotating]);
    expect(text).toMatch(/flk_signingkey_condition\{[^}]*condition="Degraded",status="True"\} 1/);
    expect(text).toMatch(/flk_signingkey_condition\{[^}]*condition="Degraded",status="False"\} 0/);
  });

  it('export notAfter of keys that still verify only, and the next rotation time', async () => {
    const text = await scrape([rotating]);
    expect(text).toMatch(
      /flk_signingkey_key_not_after_timestamp_seconds\{[^}]*kid="k2"[^}]*\} 1769904000/,
    );
    expect(text).not.toMatch(/flk_signingkey_key_not_after_timestamp_seconds\{[^}]*kid="k1"/);
    expect(text).toMatch(/flk_signingkey_next_rotation_timestamp_seconds\{[^}]*\} 1772323200/);
  });

  it('forget a SigningKey that was deleted since the last scrape', async () => {
    const sks = [rotating];
    const registry = new Registry();
    registerSigningKeyMetrics(registry, () => sks);
    expect(await registry.metrics()).toContain('signingkey="agents"');
    sks.pop();
    expect(await registry.metrics()).not.toContain('signingkey="agents"');
  });
});
