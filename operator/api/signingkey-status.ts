/** SigningKey status: every key with its state and times, written only by the operator. */
import { z } from 'zod';
import { crdMeta } from './cel.ts';
import { conditionList } from './common.ts';

export const KEY_STATES = ['Pending', 'Active', 'Retiring', 'Expired'] as const;
export type KeyState = (typeof KEY_STATES)[number];

const timestamp = (description: string) =>
  z
    .string()
    .max(64)
    .meta({ format: 'date-time' })
    .optional()
    .describe(`${description} (RFC 3339).`);

export const KeyStatusSchema = z
  .object({
    kid: z
      .string()
      .min(1)
      .max(128)
      .describe(
        'Key id: derived from the public key (ed25519) or a keyed digest that reveals nothing of the secret (hmac-sha256).',
      ),
    state: z
      .enum(KEY_STATES)
      .describe(
        'Pending (verifiers have it, signers not yet), Active (signing), Retiring (verifying until notAfter), Expired (no longer verifies).',
      ),
    createdAt: timestamp('When the key was minted or imported').describe(
      'When the key was minted or imported (RFC 3339).',
    ),
    activatedAt: timestamp('When the key became Active'),
    retiringAt: timestamp('When the key became Retiring'),
    expiredAt: timestamp('When the key became Expired'),
    notAfter: timestamp('When the key stops verifying: retiringAt plus spec.overlap'),
  })
  .describe('One key of this SigningKey and the times it entered each state.');

export const SigningKeyStatusSchema = z
  .object({
    observedGeneration: z
      .int()
      .min(0)
      .optional()
      .describe('metadata.generation of the spec the operator last reconciled.'),
    conditions: conditionList(
      'Ready (an Active key is in the signer Secret and every consumer verifies it), Progressing (a rotation step is under way) and Degraded (a consumer cannot roll out; the message names it).',
    ).optional(),
    keys: crdMeta(
      z
        .array(KeyStatusSchema)
        .max(64)
        .optional()
        .describe(
          'Every key still verifying, plus up to spec.historyLimit expired ones, oldest first.',
        ),
      { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['kid'] },
    ),
    activeKeyId: z.string().max(128).optional().describe('kid of the key in the signer Secret.'),
    nextRotationTime: timestamp('When the next rotation starts'),
    signerSecretName: z
      .string()
      .max(253)
      .optional()
      .describe('Secret with the active key and its kid, for agents.'),
    verifierSecretName: z
      .string()
      .max(253)
      .optional()
      .describe(
        'Secret with every key still inside its window, for backends (mounted as a directory).',
      ),
    lastRotateRequest: z
      .string()
      .max(256)
      .optional()
      .describe('Value of the flk.fractal-lba.io/rotate annotation the operator last acted on.'),
  })
  .describe('Observed state of the SigningKey, written only by the operator.');

export type SigningKeyStatus = z.output<typeof SigningKeyStatusSchema>;
export type KeyStatus = z.output<typeof KeyStatusSchema>;
