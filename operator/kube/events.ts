import type { Logger } from 'pino';

import type { KubeClient } from './client.ts';
import { systemClock, type Clock } from './clock.ts';
import type { KubeObject } from './types.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  /** `source.component` / `reportingComponent`, e.g. `flk-operator`. */
  component: string;
  /** This replica, e.g. the pod name. */
  instance: string;
  clock?: Clock;
  logger?: Logger;
}

const MAX_MESSAGE = 1024;

/**
 * Writes core/v1 Events about the objects the operator reconciles (what `kubectl describe` shows).
 * Recording is best effort: a failure is logged, never fails the reconcile. Callers record state
 * changes only (a condition that flipped, a child created), so a settled object gets no events.
 */
export class EventRecorder {
  private readonly clock: Clock;

  constructor(
    private readonly client: KubeClient,
    private readonly options: EventRecorderOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  async record(
    regarding: KubeObject,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<void> {
    const now = new Date(this.clock.now());
    const name = regarding.metadata.name ?? 'unknown';
    const stamp = (
      BigInt(now.getTime()) * 1_000_000n +
      BigInt(Math.floor(Math.random() * 1e6))
    ).toString(16);
    const event: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${name}.${stamp}`, namespace: regarding.metadata.namespace ?? 'default' },
      involvedObject: {
        apiVersion: regarding.apiVersion,
        kind: regarding.kind,
        name,
        namespace: regarding.metadata.namespace,
        uid: regarding.metadata.uid,
        resourceVersion: regarding.metadata.resourceVersion,
      },
      type,
      reason,
      message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message,
      source: { component: this.options.component },
      reportingComponent: this.options.component,
      reportingInstance: this.options.instance,
      firstTimestamp: now.toISOString(),
      lastTimestamp: now.toISOString(),
      count: 1,
    };

    try {
      await this.client.create(event);
    } catch (err) {
      this.options.logger?.warn(
        { err, reason, object: `${event.metadata.namespace}/${name}` },
        'could not record event',
      );
    }
  }
}
