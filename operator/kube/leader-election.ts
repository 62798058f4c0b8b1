import type { Logger } from 'pino';

import { systemClock, type Clock, type TimerHandle } from './clock.ts';
import { toMicroTime, type Lease, type LeaseSpec, type LeaseStore } from './lease.ts';

export interface LeaderElectionOptions {
  store: LeaseStore;
  /** Unique per replica (pod name plus a random suffix). */
  identity: string;
  /** How long a lease holds without renewal before a standby may take it. */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it gives up leadership. */
  renewDeadlineMs?: number;
  /** Time between attempts, jittered up by 20 %. */
  retryPeriodMs?: number;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  onStartedLeading: () => void;
  /** Called once, when a leader loses its lease; the process should stop reconciling and exit. */
  onStoppedLeading: () => void;
  onNewLeader?: (identity: string) => void;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, with the semantics of client-go's elector:
 *
 * - A lease held by someone else counts as expired `leaseDuration` after this replica last saw it
 *   change (its own clock, never the holder's timestamps, so clock skew between nodes is harmless).
 * - Acquire and renew are a read followed by a PUT with the read resourceVersion: of two
 *   candidates racing for an expired lease, exactly one wins.
 * - The leader renews every `retryPeriod`; if it cannot for `renewDeadline` it stops leading (and
 *   the process exits) well before `leaseDuration` lets a standby in.
 * - On shutdown the leader releases the lease (empty holder, 1 s duration) so a standby takes over
 *   on its next attempt instead of waiting out the lease.
 */
export class LeaderElector {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;

  private leading = false;
  private stopped = true;
  private timer: TimerHandle | undefined;
  private inFlight: Promise<void> | undefined;
  private observed: { key: string; at: number } | undefined;
  private lastSuccessAt = 0;
  private lastRenewAt = 0;
  private knownLeader: string | undefined;

  constructor(private readonly options: LeaderElectionOptions) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (!(
      this.leaseDurationMs > this.renewDeadlineMs && this.renewDeadlineMs > this.retryPeriodMs
    )) {
      throw new Error('leader election needs leaseDuration > renewDeadline > retryPeriod');
    }
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder this replica last saw, if any. */
  leader(): string | undefined {
    return this.knownLeader;
  }

  /**
   * True while the elector is doing its job: a leader that renewed within the renew deadline, or
   * a standby that could read the lease within the lease duration (so it can take over).
   */
  healthy(): boolean {
    if (this.stopped) return false;
    const age = this.clock.now() - (this.leading ? this.lastRenewAt : this.lastSuccessAt);
    return age <= (this.leading ? this.renewDeadlineMs : this.leaseDurationMs);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.lastSuccessAt = this.clock.now();
    this.schedule(0);
  }

  /** Stops campaigning; a leader releases the lease first. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;

    if (!this.leading) return;
    this.leading = false;
    await this.release();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.inFlight = this.tick().finally(() => (this.inFlight = undefined));
    }, delayMs);
  }

  private async tick(): Promise<void> {
    const ok = await this.tryAcquireOrRenew();
    if (this.stopped) return;
    const now = this.clock.now();

    if (ok) {
      this.lastRenewAt = now;
      if (!this.leading) {
        this.leading = true;
        this.options.logger?.info(
          { lease: this.options.store.description, identity: this.options.identity },
          'became leader',
        );
        this.options.onStartedLeading();
      }
    } else if (this.leading && now - this.lastRenewAt >= this.renewDeadlineMs) {
      this.leading = false;
      this.stopped = true;
      this.options.logger?.error(
        { lease: this.options.store.description, identity: this.options.identity },
        'could not renew the lease within the renew deadline; stepping down',
      );
      this.options.onStoppedLeading();
      return;
    }
    this.schedule(this.retryPeriodMs * (1 + 0.2 * this.random()));
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    const me = this.options.identity;
    const desired: LeaseSpec = {
      holderIdentity: me,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: toMicroTime(now),
      renewTime: toMicroTime(now),
      leaseTransitions: 0,
    };

    try {
      const lease = await this.options.store.get();
      this.lastSuccessAt = this.clock.now();
      if (!lease) {
        this.observe(await this.options.store.create(desired), now);
        return true;
      }

      this.observe(lease, now);
      const holder = lease.spec?.holderIdentity ?? '';
      const held = holder !== '' && holder !== me;
      if (held && this.observed && this.observed.at + this.leaseDurationMs > now) return false;

      const spec = lease.spec ?? {};
      if (holder === me) {
        desired.acquireTime = spec.acquireTime ?? desired.acquireTime;
        desired.leaseTransitions = spec.leaseTransitions ?? 0;
      } else {
        desired.leaseTransitions = (spec.leaseTransitions ?? 0) + 1;
      }
      this.observe(await this.options.store.replace(lease, desired), now);
      return true;
    } catch (err) {
      this.options.logger?.warn(
        { err, lease: this.options.store.description },
        'lease update failed',
      );
      return false;
    }
  }

  /** Notes when the lease record last changed, by our clock; reports a new holder. */
  private observe(lease: Lease, now: number): void {
    const spec = lease.spec ?? {};
    const key = `${spec.holderIdentity ?? ''}|${spec.renewTime ?? ''}|${spec.leaseTransitions ?? 0}`;
    if (this.observed?.key !== key) this.observed = { key, at: now };

    const holder = spec.holderIdentity || undefined;
    if (holder !== this.knownLeader) {
      this.knownLeader = holder;
      if (holder) this.options.onNewLeader?.(holder);
    }
  }

  private async release(): Promise<void> {
    try {
      const lease = await this.options.store.get();
      if (!lease || lease.spec?.holderIdentity !== this.options.identity) return;

      const now = toMicroTime(this.clock.now());
      await this.options.store.replace(lease, {
        holderIdentity: '',
        leaseDurationSeconds: 1,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: lease.spec.leaseTransitions ?? 0,
      });
      this.options.logger?.info({ lease: this.options.store.description }, 'released the lease');
    } catch (err) {
      this.options.logger?.warn(
        { err, lease: this.options.store.description },
        'could not release the lease',
      );
    }
  }
}
