import type { FractalLBAStatus } from '../api/fractallba.ts';
import type { KubeClient } from '../kube/client.ts';
import type { Clock } from '../kube/clock.ts';
import type { EventRecorder } from '../kube/events.ts';
import type { WriteExpectations } from '../kube/expectations.ts';
import type { KubeObject } from '../kube/types.ts';
import type { OptionalKinds } from './optional-kinds.ts';
import type { SecretSummary } from './secrets.ts';

/** A FractalLBA as read from the cache: the spec is unchecked until `resolveFractalLBA`. */
export interface FractalLBAObject extends KubeObject {
  spec?: unknown;
  status?: FractalLBAStatus;
}

/** Read access to one kind in the informer caches. */
export interface ObjectCache<T extends KubeObject = KubeObject> {
  get(namespace: string, name: string): T | undefined;
  list(namespace?: string): T[];
}

export interface FractalLBACaches {
  fractallbas: ObjectCache<FractalLBAObject>;
  secrets: ObjectCache<SecretSummary>;
  /** One cache per child kind the cluster serves, keyed by `kindKey`. */
  children: ReadonlyMap<string, ObjectCache>;
}

/**
 * The API calls a reconcile makes; KubeClient in production, a fake in unit tests. The one read,
 * `get`, is for a child the cache lacks (is its name taken by someone else's object?).
 */
export type ApiWriter = Pick<KubeClient, 'apply' | 'delete' | 'mergePatch' | 'get'>;

export interface FractalLBADeps {
  api: ApiWriter;
  caches: FractalLBACaches;
  expectations: WriteExpectations;
  events: Pick<EventRecorder, 'record'>;
  clock: Clock;
  fieldManager: string;
  /** Where the operator runs; lets its pods through the backend's NetworkPolicy. */
  operatorNamespace?: string;
  /** Caches of optional kinds (CRDs of add-ons) started once the cluster serves them. */
  optionalKinds?: Pick<OptionalKinds, 'ensure' | 'reportFailure'>;
}
