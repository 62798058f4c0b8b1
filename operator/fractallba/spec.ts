import { resolveFractalLBA, type ResolvedFractalLBASpec } from '../api/fractallba.ts';
import type { FractalLBAObject } from './deps.ts';

export type SpecResult =
  { ok: true; spec: ResolvedFractalLBASpec } | { ok: false; errors: string[] };

/**
 * Step 3: the spec with every default applied, or every error at once. The API server's CEL
 * rules reject most mistakes at admission; this catches what slipped past (an object stored
 * before a rule existed, a rule only the operator can check).
 */
export function resolveSpec(flk: FractalLBAObject): SpecResult {
  return resolveFractalLBA(flk);
}
