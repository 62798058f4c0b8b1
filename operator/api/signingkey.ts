/**
 * SigningKey: spec, status, cross-field rules and `resolveSigningKey`, from one zod source that
 * `crd.ts` also turns into the CRD. Defaults are applied by the operator, never by the API server.
 */
import { z } from 'zod';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { API_VERSION, SIGNINGKEY } from './constants.ts';
import { celOr, crdMeta, type CrossFieldRule, type TransitionRule } from './cel.ts';
import { dataKey, duration, objectName } from './common.ts';
import { resolveWith, type Resolved } from './resolve.ts';
import type { SigningKeyStatus } from './signingkey-status.ts';

export * from './signingkey-status.ts';
import { celSeconds, parseDurationSeconds } from './duration.ts';

export const ALGORITHMS = ['ed25519', 'hmac-sha256'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];
export const SCHEMES = ['hmac-sha256', 'hmac-sha256-payload', 'ed25519'] as const;
export type Scheme = (typeof SCHEMES)[number];
/** Schemes each algorithm can sign and verify. */
export const SCHEMES_OF: Record<Algorithm, readonly Scheme[]> = {
  ed25519: ['ed25519'],
  'hmac-sha256': ['hmac-sha256', 'hmac-sha256-payload'],
};

export const SK_DEFAULTS = {
  /** Used when schemes is unset: the reference agent v0.1 contract for HMAC. */
  schemes: { ed25519: ['ed25519'], 'hmac-sha256': ['hmac-sha256'] },
  rotationInterval: '30d',
  /** As long as the default dedup TTL, so a retried record still verifies while it is remembered. */
  overlap: '14d',
  sourceMode: 'generate',
  importKey: 'key',
  historyLimit: 5,
  /** As long as a Deployment's default progress deadline. */
  rolloutTimeout: '10m',
} as const;

const SOURCE_SECRET_MESSAGE =
  'spec.source.mode import needs spec.source.secretRef.name, the Secret holding the key ' +
  'material; or set mode to generate';
const SOURCE_GENERATE_MESSAGE =
  'spec.source.secretRef is read only when spec.source.mode is import: remove secretRef or set ' +
  'mode to import';

const Source = z
  .object({
    mode: z
      .enum(['generate', 'import'])
      .default(SK_DEFAULTS.sourceMode)
      .describe(
        'generate: the operator mints keys from a secure random source and rotates them on schedule. import: the key material comes from secretRef (e.g. decrypted from Git by SOPS); a change of that Secret starts a verifier-first rotation, and rotationInterval is not used.',
      ),
    secretRef: z
      .object({
        name: objectName('Name of the Secret (same namespace) with the key material.'),
        key: dataKey(
          'Data key holding the material: the base64 Ed25519 private key (32-byte seed) or the HMAC secret (at least 32 bytes).',
        ).default(SK_DEFAULTS.importKey),
      })
      .optional()
      .describe('Secret to import from; required when mode is import, refused otherwise.'),
  })
  .describe('Where key material comes from.');

export const SigningKeySpecSchema = z
  .object({
    algorithm: crdMeta(
      z
        .enum(ALGORITHMS)
        .describe(
          'Key type: ed25519 (asymmetric; agents hold the private key, backends the public key) or hmac-sha256 (shared secret). Required; immutable.',
        ),
      {
        'x-kubernetes-validations': [
          {
            rule: 'self == oldSelf',
            message:
              'spec.algorithm cannot change: create a new SigningKey with the other algorithm and move spec.signing.keyRefs to it',
          },
        ],
      },
    ),
    schemes: crdMeta(
      z
        .array(z.enum(SCHEMES))
        .min(1)
        .max(3)
        .optional()
        .describe(
          'Signature schemes the backends accept for this key: ed25519 for ed25519 keys; hmac-sha256 (digest, the reference agent v0.1 contract) and/or hmac-sha256-payload for hmac-sha256 keys. Default: [ed25519] or [hmac-sha256].',
        ),
      { 'x-kubernetes-list-type': 'set' },
    ),
    rotationInterval: duration(
      'How long a key signs before the next one takes over. Must be longer than overlap.',
      { positive: true },
    ).default(SK_DEFAULTS.rotationInterval),
    overlap: duration(
      'How long a replaced key keeps verifying after the next key became active. Should be at least the dedup TTL of every FractalLBA using this key, so a retried record still verifies while its outcome is remembered.',
      { positive: true },
    ).default(SK_DEFAULTS.overlap),
    source: Source.prefault({}),
    rolloutTimeout: duration(
      'How long every FractalLBA using this key has to roll out a new Pending key (its Deployment fully updated and available) before the SigningKey reports Degraded naming it. The key is never promoted past a consumer that has not rolled it out; it stays Pending until then.',
      { positive: true },
    ).default(SK_DEFAULTS.rolloutTimeout),
    historyLimit: z
      .int()
      .min(0)
      .max(50)
      .default(SK_DEFAULTS.historyLimit)
      .describe('Expired keys kept in status.keys for the record (their material is deleted).'),
  })
  .describe(
    'A signing key for PCS records, rotated verifier-first: a new key is verified by every backend before any agent signs with it.',
  )
  .transform((spec) => ({
    ...spec,
    schemes: spec.schemes ?? [...SK_DEFAULTS.schemes[spec.algorithm]],
  }));

export type SigningKeySpec = z.input<typeof SigningKeySpecSchema>;
export type ResolvedSigningKeySpec = z.output<typeof SigningKeySpecSchema>;

const interval = celSeconds(celOr('rotationInterval', SK_DEFAULTS.rotationInterval));
const overlap = celSeconds(celOr('overlap', SK_DEFAULTS.overlap));

export const SIGNINGKEY_RULES: readonly CrossFieldRule<ResolvedSigningKeySpec>[] = [
  {
    field: 'overlap',
    message: `spec.overlap must be shorter than spec.rotationInterval (defaults ${SK_DEFAULTS.overlap} and ${SK_DEFAULTS.rotationInterval}): the interval must be longer than the overlap; lengthen rotationInterval or shorten overlap`,
    cel: `${overlap} < ${interval}`,
    holds: (s) =>
      (parseDurationSeconds(s.overlap) ?? 0) < (parseDurationSeconds(s.rotationInterval) ?? 0),
  },
  {
    field: 'schemes',
    message:
      'spec.schemes must suit spec.algorithm: ed25519 keys take only the ed25519 scheme, hmac-sha256 keys only hmac-sha256 and hmac-sha256-payload',
    cel: `!has(self.schemes) || self.schemes.all(s, (s == 'ed25519') == (self.algorithm == 'ed25519'))`,
    holds: (s) => s.schemes.every((scheme) => SCHEMES_OF[s.algorithm].includes(scheme)),
  },
  {
    field: 'source.secretRef',
    message: SOURCE_SECRET_MESSAGE,
    cel: `${celOr('source.mode', SK_DEFAULTS.sourceMode)} != 'import' || (has(self.source) && has(self.source.secretRef))`,
    holds: (s) => s.source.mode !== 'import' || s.source.secretRef !== undefined,
  },
  {
    field: 'source.secretRef',
    message: SOURCE_GENERATE_MESSAGE,
    cel: `${celOr('source.mode', SK_DEFAULTS.sourceMode)} != 'generate' || !has(self.source) || !has(self.source.secretRef)`,
    holds: (s) => s.source.mode !== 'generate' || s.source.secretRef === undefined,
  },
];

/** Rules comparing with the old object; the algorithm's own rule sits on the field itself. */
export const SIGNINGKEY_TRANSITION_RULES: readonly TransitionRule[] = [];

/** A SigningKey object as the API server returns it. */
export interface SigningKey {
  apiVersion: typeof API_VERSION;
  kind: typeof SIGNINGKEY.kind;
  metadata: V1ObjectMeta;
  spec: SigningKeySpec;
  status?: SigningKeyStatus;
}

/** Validates `resource.spec` and applies every default (schemes by algorithm included). */
export function resolveSigningKey(resource: unknown): Resolved<ResolvedSigningKeySpec> {
  return resolveWith(resource, SigningKeySpecSchema, SIGNINGKEY_RULES);
}
