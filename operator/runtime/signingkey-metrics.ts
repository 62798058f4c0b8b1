/**
 * SigningKey state as gauges, computed from the SigningKeys' status at each scrape, so nothing
 * has to be kept in step with the reconciler: what `kubectl get sk -o yaml` shows is what
 * Prometheus sees. The alerts on key rotation (alerts/operator-rules.ts) and the key-state panels
 * of the dashboard read these.
 *
 * The labels are `signingkey_namespace` and `signingkey`, not `namespace` and `name`: Prometheus
 * sets `namespace` to the operator pod's own namespace on every target and would rename ours to
 * `exported_namespace` unless the scrape honours labels.
 */
import { Gauge, type Registry } from 'prom-client';
import { KEY_STATES, type SigningKeyStatus } from '../api/signingkey.ts';

/** What the gauges read of a SigningKey: its identity and its status. */
export interface SigningKeyView {
  metadata?: { namespace?: string; name?: string };
  status?: SigningKeyStatus;
}

const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;
type Labels = Record<string, string>;

interface Sample {
  labels: Labels;
  value: number;
}

/** Registers the SigningKey gauges on `registry`; `list` is called once per gauge per scrape. */
export function registerSigningKeyMetrics(
  registry: Registry,
  list: () => readonly SigningKeyView[],
): void {
  const gauge = (name: string, help: string, labelNames: string[], samples: typeof keyCounts) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const s of samples(list())) this.set(s.labels, s.value);
      },
    });

  gauge(
    'flk_signingkey_keys',
    'Keys of a SigningKey by state (Pending, Active, Retiring, Expired), from status.keys.',
    ['signingkey_namespace', 'signingkey', 'state'],
    keyCounts,
  );
  gauge(
    'flk_signingkey_condition',
    'Status conditions of a SigningKey: 1 for the condition status it has, 0 for the others.',
    ['signingkey_namespace', 'signingkey', 'condition', 'status'],
    conditions,
  );
  gauge(
    'flk_signingkey_next_rotation_timestamp_seconds',
    'When the next rotation of a SigningKey starts (status.nextRotationTime), Unix seconds.',
    ['signingkey_namespace', 'signingkey'],
    nextRotation,
  );
  gauge(
    'flk_signingkey_key_not_after_timestamp_seconds',
    'When a key that still verifies stops verifying (status.keys[].notAfter), Unix seconds.',
    ['signingkey_namespace', 'signingkey', 'kid', 'state'],
    notAfter,
  );
}

function identity(sk: SigningKeyView): Labels | undefined {
  const { namespace, name } = sk.metadata ?? {};
  if (!name) return undefined;
  return { signingkey_namespace: namespace ?? '', signingkey: name };
}

/** Every state of every SigningKey, zeros included, so `== 0` and `> 0` both have a series. */
export function keyCounts(sks: readonly SigningKeyView[]): Sample[] {
  return sks.flatMap((sk) => {
    const id = identity(sk);
    if (!id) return [];
    const keys = sk.status?.keys ?? [];
    return KEY_STATES.map((state) => ({
      labels: { ...id, state },
      value: keys.filter((k) => k.state === state).length,
    }));
  });
}

export function conditions(sks: readonly SigningKeyView[]): Sample[] {
  return sks.flatMap((sk) => {
    const id = identity(sk);
    if (!id) return [];
    return (sk.status?.conditions ?? []).flatMap((c) =>
      CONDITION_STATUSES.map((status) => ({
        labels: { ...id, condition: c.type, status },
        value: c.status === status ? 1 : 0,
      })),
    );
  });
}

export function nextRotation(sks: readonly SigningKeyView[]): Sample[] {
  return sks.flatMap((sk) => {
    const id = identity(sk);
    const at = seconds(sk.status?.nextRotationTime);
    return id && at !== undefined ? [{ labels: id, value: at }] : [];
  });
}

export function notAfter(sks: readonly SigningKeyView[]): Sample[] {
  return sks.flatMap((sk) => {
    const id = identity(sk);
    if (!id) return [];
    return (sk.status?.keys ?? []).flatMap((k) => {
      const at = seconds(k.notAfter);
      if (k.state === 'Expired' || at === undefined) return [];
      return [{ labels: { ...id, kid: k.kid, state: k.state }, value: at }];
    });
  });
}

function seconds(time: string | undefined): number | undefined {
  if (!time) return undefined;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : ms / 1000;
}
