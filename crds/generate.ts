/**
 * Writes the CRDs generated from operator/api/ into this folder.
 *   npx tsx crds/generate.ts           write them
 *   npx tsx crds/generate.ts --check   exit 1 when a checked-in file differs from the source
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crdFiles } from '../operator/api/crd.ts';

const here = dirname(fileURLToPath(import.meta.url));

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

const check = process.argv.includes('--check');
let stale = 0;
for (const { file, yaml } of crdFiles()) {
  const path = join(here, file);
  if (readOrEmpty(path) === yaml) continue;

  if (check) {
    stale += 1;
    console.error(`crds/${file}: differs from operator/api; run npx tsx crds/generate.ts`);
  } else {
    writeFileSync(path, yaml);
    console.log(`crds/${file}: written`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
