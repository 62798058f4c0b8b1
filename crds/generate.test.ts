import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { crdFiles } from '../operator/api/crd.ts';

const here = dirname(fileURLToPath(import.meta.url));

describe('checked-in CRDs', () => {
  it.each(crdFiles())('crds/$file equals what operator/api generates', ({ file, yaml }) => {
    const checkedIn = readFileSync(join(here, file), 'utf8');
    expect(checkedIn, `stale: run npx tsx crds/generate.ts`).toBe(yaml);
  });
});
