import type { SignerKeyFile } from '../../pcs/keyfile.ts';
import type { Algorithm, Scheme, SigningKeyStatus } from '../api/signingkey.ts';
import type { FractalLBAObject, ObjectCache } from '../fractallba/deps.ts';
import type { KubeClient } from '../kube/client.ts';
import type { Clock } from '../kube/clock.ts';
import type { EventRecorder } from '../kube/events.ts';
import type { WriteExpectations } from '../kube/expectations.ts';
import type { KubeObject } from '../kube/types.ts';

/** A SigningKey as read from the cache: the spec is unchecked until `resolveSigningKey`. */
export interface SigningKeyObject extends KubeObject {
  spec?: unknown;
  status?: SigningKeyStatus;
}

export interface SigningKeyCaches {
  signingkeys: ObjectCache<SigningKeyObject>;
  /** The SigningKeys' own Secrets in full (secrets-cache.ts); any other Secret without its data. */
  secrets: ObjectCache;
  fractallbas: ObjectCache<FractalLBAObject>;
  /** Backend Deployments (our managed-by label), to see consumers' rollouts. */
  deployments: ObjectCache;
}

/** The API calls a reconcile makes; KubeClient in production, a fake in unit tests. */
export type SigningKeyApi = Pick<KubeClient, 'apply' | 'get'>;

export interface SigningKeyDeps {
  api: SigningKeyApi;
  caches: SigningKeyCaches;
  expectations: WriteExpectations;
  events: Pick<EventRecorder, 'record'>;
  clock: Clock;
  fieldManager: string;
  /** Mints a key from a secure random source; replaced in tests. */
  mint: (algorithm: Algorithm, schemes: readonly Scheme[]) => SignerKeyFile;
}
