import { resolveFractalLBA } from '../api/fractallba.ts';
import type { WriteExpectations } from '../kube/expectations.ts';
import type { KindCache } from '../kube/informer-factory.ts';
import { objectKey, type KubeObject } from '../kube/types.ts';
import { childKey, fractalLBAKey, ownerKeyOf } from './children.ts';
import type { FractalLBAObject, ObjectCache } from './deps.ts';
import { dependedOnSecretNames, type SecretSummary } from './secrets.ts';

type Enqueue = (key: string) => void;

/** FractalLBA events: the object itself. */
export function watchFractalLBAs(
  cache: KindCache<FractalLBAObject>,
  expectations: WriteExpectations,
  enqueue: Enqueue,
) {
  const onChange = (obj: FractalLBAObject, gone = false) => {
    const { namespace = '', name = '' } = obj.metadata;
    expectations.observe(fractalLBAKey(namespace, name), gone ? undefined : obj);
    enqueue(objectKey(obj));
  };
  cache.on('add', (obj) => onChange(obj));
  cache.on('update', (obj) => onChange(obj));
  cache.on('delete', (obj) => onChange(obj, true));
}

/**
 * Child events (a Deployment's rollout progressing, a hand edit, a deletion): the FractalLBA that
 * owns the child. Our own writes come back this way too; they clear their expectation first.
 */
export function watchChildren(
  cache: KindCache<KubeObject>,
  expectations: WriteExpectations,
  enqueue: Enqueue,
) {
  const onChange = (obj: KubeObject, gone = false) => {
    expectations.observe(childKey(obj), gone ? undefined : obj);
    const owner = ownerKeyOf(obj);
    if (owner) enqueue(owner);
  };
  cache.on('add', (obj) => onChange(obj));
  cache.on('update', (obj) => onChange(obj));
  cache.on('delete', (obj) => onChange(obj, true));
}

/**
 * Secret events: every FractalLBA in the Secret's namespace that depends on it, as the verifier
 * Secret of one of its SigningKeys (`<signingKey>-verifier`) or as a connection or auth Secret.
 */
export function watchSecrets(
  cache: KindCache<SecretSummary>,
  fractallbas: ObjectCache<FractalLBAObject>,
  enqueue: Enqueue,
) {
  const onChange = (secret: SecretSummary) => {
    const namespace = secret.metadata.namespace ?? '';
    for (const key of dependentsOf(namespace, secret.metadata.name ?? '', fractallbas))
      enqueue(key);
  };
  cache.on('add', onChange);
  cache.on('update', onChange);
  cache.on('delete', onChange);
}

/** Queue keys of the FractalLBAs in `namespace` whose spec depends on the Secret `name`. */
export function dependentsOf(
  namespace: string,
  name: string,
  fractallbas: ObjectCache<FractalLBAObject>,
): string[] {
  const keys: string[] = [];
  for (const flk of fractallbas.list(namespace)) {
    const resolved = resolveFractalLBA(flk);
    if (resolved.ok && dependedOnSecretNames(resolved.spec).includes(name))
      keys.push(objectKey(flk));
  }
  return keys;
}
