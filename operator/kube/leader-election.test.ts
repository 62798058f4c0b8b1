import { describe, expect, it } from 'vitest';

import { KubeApiError } from './errors.ts';
import { FakeClock, flushPromises } from './fake-clock.ts';
import { LeaderElector } from './leader-election.ts';
import type { Lease, LeaseSpec, LeaseStore } from './lease.ts';

/** One Lease in memory with the API server's optimistic concurrency (409 on a stale PUT). */
class FakeLeaseStore implements LeaseStore {
  readonly description = 'ns/lock';
  lease: Lease | undefined;
  writes = 0;
  down = false;
  /** Identities whose writes fail, as if their process had died or lost the network. */
  readonly cutOff = new Set<string>();
  private version = 0;

  async get(): Promise<Lease | undefined> {
    if (this.down) throw new Error('connect ECONNREFUSED');
    return this.lease && structuredClone(this.lease);
  }

  async create(spec: LeaseSpec): Promise<Lease> {
    if (this.down) throw new Error('connect ECONNREFUSED');
    if (this.lease) throw new KubeApiError(409, 'already exists', 'AlreadyExists');
    return this.store(spec);
  }

  async replace(current: Lease, spec: LeaseSpec): Promise<Lease> {
    if (this.down || this.cutOff.has(spec.holderIdentity ?? ''))
      throw new Error('connect ECONNREFUSED');
    if (current.metadata.resourceVersion !== this.lease?.metadata.resourceVersion) {
      throw new KubeApiError(409, 'the object has been modified', 'Conflict');
    }
    return this.store(spec);
  }

  holder(): string | undefined {
    return this.lease?.spec?.holderIdentity;
  }

  private store(spec: LeaseSpec): Lease {
    this.writes++;
    this.lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'lock', namespace: 'ns', resourceVersion: String(++this.version) },
      spec,
    };
    return structuredClone(this.lease);
  }
}

function candidate(store: LeaseStore, clock: FakeClock, identity: string) {
  const log: string[] = [];
  const elector = new LeaderElector({
    store,
    identity,
    clock,
    random: () => 0,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    onStartedLeading: () => log.push('started'),
    onStoppedLeading: () => log.push('stopped'),
  });
  return { elector, log };
}

describe('LeaderElector', () => {
  it('creates the lease when there is none and leads', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'a');

    a.elector.start();
    await clock.advance(0);

    expect(a.elector.isLeader()).toBe(true);
    expect(a.log).toEqual(['started']);
    expect(store.lease?.spec).toMatchObject({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
    });
  });

  it('renews every retry period while it leads', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'a');
    a.elector.start();
    await clock.advance(0);

    await clock.advance(10_000);

    expect(store.writes).toBe(6);
    expect(store.lease?.spec?.renewTime).toBe(
      new Date(clock.now()).toISOString().replace('Z', '000Z'),
    );
  });

  it('keeps a second replica standing by while the leader renews', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'a');
    const b = candidate(store, clock, 'b');
    a.elector.start();
    await clock.advance(0);
    b.elector.start();

    await clock.advance(60_000);

    expect(a.elector.isLeader()).toBe(true);
    expect(b.elector.isLeader()).toBe(false);
    expect(b.elector.leader()).toBe('a');
    expect(b.elector.healthy()).toBe(true);
  });

  it('lets a standby take over a lease its holder stopped renewing, after the lease duration', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'a');
    const b = candidate(store, clock, 'b');
    a.elector.start();
    await clock.advance(0);
    b.elector.start();
    await clock.advance(4_000);

    // The leader is cut off: none of its renewals reach the API server any more.
    store.cutOff.add('a');
    const cutAt = clock.now();
    while (!b.elector.isLeader() && clock.now() - cutAt < 60_000) await clock.advance(500);

    const waited = clock.now() - cutAt;
    expect(b.elector.isLeader()).toBe(true);
    expect(waited).toBeGreaterThanOrEqual(13_000);
    expect(waited).toBeLessThanOrEqual(15_000 + 2 * 2_000 + 500);
    expect(a.log).toEqual(['started', 'stopped']);
    expect(store.lease?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('releases the lease on stop so a standby takes over on its next attempt', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'a');
    const b = candidate(store, clock, 'b');
    a.elector.start();
    await clock.advance(0);
    b.elector.start();
    await clock.advance(1_000);

    await a.elector.stop();
    expect(store.lease?.spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    await clock.advance(2_000);

    expect(b.elector.isLeader()).toBe(true);
    expect(a.log).toEqual(['started']);
  });

  it('steps down once it cannot renew for the renew deadline, before the lease could expire', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'a');
    a.elector.start();
    await clock.advance(0);

    store.down = true;
    const downAt = clock.now();
    while (a.elector.isLeader() && clock.now() - downAt < 60_000) await clock.advance(500);

    expect(a.log).toEqual(['started', 'stopped']);
    expect(clock.now() - downAt).toBeGreaterThanOrEqual(10_000);
    expect(clock.now() - downAt).toBeLessThan(15_000);
    expect(a.elector.healthy()).toBe(false);
  });

  it('lets exactly one of two candidates win an expired lease', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'a');
    const b = candidate(store, clock, 'b');

    a.elector.start();
    b.elector.start();
    await clock.advance(0);
    await clock.advance(30_000);

    expect([a.elector.isLeader(), b.elector.isLeader()].filter(Boolean)).toHaveLength(1);
  });

  it('reports a standby that cannot read the lease as unhealthy', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'a');
    const b = candidate(store, clock, 'b');
    a.elector.start();
    await clock.advance(0);
    b.elector.start();
    await clock.advance(2_000);
    expect(b.elector.healthy()).toBe(true);

    store.down = true;
    await clock.advance(16_000);
    await flushPromises();

    expect(b.elector.healthy()).toBe(false);
  });
});
