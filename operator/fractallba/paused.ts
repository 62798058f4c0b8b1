import { ANNOTATIONS } from '../api/constants.ts';
import type { FractalLBAObject } from './deps.ts';

/** Step 2: `flk.fractal-lba.io/paused: "true"` stops every change to the children. */
export function isPaused(flk: FractalLBAObject): boolean {
  return flk.metadata.annotations?.[ANNOTATIONS.paused] === 'true';
}
