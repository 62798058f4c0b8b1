/**
 * What requeues a SigningKey. Every handler maps an event to the SigningKeys it can affect, in
 * the event's namespace; our own writes come back this way too and clear their expectation.
 */
import { signerSecretName, verifierSecretName } from '../api/constants.ts';
import { resolveSigningKey } from '../api/signingkey.ts';
import type { FractalLBAObject, ObjectCache } from '../fractallba/deps.ts';
import { ownerKeyOf } from '../fractallba/children.ts';
import type { WriteExpectations } from '../kube/expectations.ts';
import type { KindCache } from '../kube/informer-factory.ts';
import { objectKey, parseObjectKey, type KubeObject } from '../kube/types.ts';
import { referencedSigningKeys } from './consumers.ts';
import type { SigningKeyObject } from './deps.ts';
import { SIGNINGKEY_LABEL } from './names.ts';
import { secretKey, signingKeyKey } from './write.ts';

type Enqueue = (key: string) => void;

function onEvery<T extends KubeObject>(
  cache: KindCache<T>,
  handler: (obj: T, gone: boolean) => void,
) {
  cache.on('add', (obj) => handler(obj, false));
  cache.on('update', (obj) => handler(obj, false));
  cache.on('delete', (obj) => handler(obj, true));
}

export function watchSigningKeys(
  cache: KindCache<SigningKeyObject>,
  expectations: WriteExpectations,
  enqueue: Enqueue,
) {
  onEvery(cache, (sk, gone) => {
    expectations.observe(
      signingKeyKey(sk.metadata.namespace ?? '', sk.metadata.name ?? ''),
      gone ? undefined : sk,
    );
    enqueue(objectKey(sk));
  });
}

/**
 * Secrets: our own (labelled with their SigningKey), a Secret squatting on one of our names, and
 * the import Secret of any SigningKey in that namespace.
 */
export function watchSecrets(
  cache: KindCache<KubeObject>,
  signingkeys: ObjectCache<SigningKeyObject>,
  expectations: WriteExpectations,
  enqueue: Enqueue,
) {
  onEvery(cache, (secret, gone) => {
    const namespace = secret.metadata.namespace ?? '';
    const name = secret.metadata.name ?? '';
    expectations.observe(secretKey(namespace, name), gone ? undefined : secret);

    const owner = secret.metadata.labels?.[SIGNINGKEY_LABEL];
    if (owner) enqueue(`${namespace}/${owner}`);
    for (const sk of signingkeys.list(namespace)) {
      const skName = sk.metadata.name ?? '';
      if (
        name === signerSecretName(skName) ||
        name === verifierSecretName(skName) ||
        importsFrom(sk, name)
      ) {
        enqueue(objectKey(sk));
      }
    }
  });
}

/** FractalLBAs: the SigningKeys they reference, and any with a rotation under way (a reference may have gone). */
export function watchFractalLBAs(
  cache: KindCache<FractalLBAObject>,
  signingkeys: ObjectCache<SigningKeyObject>,
  enqueue: Enqueue,
) {
  onEvery(cache, (flk) => {
    for (const key of affected(
      flk.metadata.namespace ?? '',
      referencedSigningKeys(flk),
      signingkeys,
    ))
      enqueue(key);
  });
}

/** Backend Deployments: a consumer's rollout moved, so its SigningKeys may promote now. */
export function watchDeployments(
  cache: KindCache<KubeObject>,
  fractallbas: ObjectCache<FractalLBAObject>,
  signingkeys: ObjectCache<SigningKeyObject>,
  enqueue: Enqueue,
) {
  onEvery(cache, (deployment) => {
    const owner = ownerKeyOf(deployment);
    if (!owner) return;
    const { namespace = '', name } = parseObjectKey(owner);
    const flk = fractallbas.get(namespace, name);
    for (const key of affected(namespace, flk ? referencedSigningKeys(flk) : [], signingkeys))
      enqueue(key);
  });
}

function affected(
  namespace: string,
  referenced: readonly string[],
  signingkeys: ObjectCache<SigningKeyObject>,
): string[] {
  const keys = new Set(referenced.map((name) => `${namespace}/${name}`));
  for (const sk of signingkeys.list(namespace)) {
    if (sk.status?.keys?.some((k) => k.state === 'Pending')) keys.add(objectKey(sk));
  }
  return [...keys];
}

function importsFrom(sk: SigningKeyObject, secretName: string): boolean {
  const resolved = resolveSigningKey(sk);
  return (
    resolved.ok &&
    resolved.spec.source.mode === 'import' &&
    resolved.spec.source.secretRef?.name === secretName
  );
}
