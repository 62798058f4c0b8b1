import type { KubeClient } from './client.ts';
import type { KubeObject } from './types.ts';

/** coordination.k8s.io/v1 LeaseSpec; times are MicroTime strings. */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

/** Reads and writes one Lease object; `replace` must fail with 409 when the lease changed. */
export interface LeaseStore {
  get(): Promise<Lease | undefined>;
  create(spec: LeaseSpec): Promise<Lease>;
  replace(current: Lease, spec: LeaseSpec): Promise<Lease>;
  /** `namespace/name`, for logs. */
  readonly description: string;
}

export function kubeLeaseStore(client: KubeClient, namespace: string, name: string): LeaseStore {
  const ref = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace, name };
  return {
    description: `${namespace}/${name}`,
    get: () => client.get<Lease>(ref),
    create: (spec) =>
      client.create<Lease>({
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { name, namespace },
        spec,
      }),
    // PUT carries the resourceVersion we read, so a concurrent writer makes this fail with 409.
    replace: (current, spec) => client.replace<Lease>({ ...current, spec }),
  };
}

/** MicroTime, as the API server writes it: RFC 3339 with six fractional digits. */
export function toMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
