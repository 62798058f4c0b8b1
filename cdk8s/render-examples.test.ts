import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOLDEN_DIR, exampleNames, renderExample } from './render-examples.ts';

describe('golden manifests', () => {
  it('covers the dev, prod and mTLS examples', () => {
    expect(exampleNames()).toEqual(['fractallba-dev', 'fractallba-mtls', 'fractallba-prod']);
  });

  it.each(exampleNames())('golden/manifests/%s.yaml equals the render of the example', (name) => {
    const checkedIn = readFileSync(join(GOLDEN_DIR, `${name}.yaml`), 'utf8');
    expect(checkedIn, 'stale: run npx tsx cdk8s/render-examples.ts').toBe(renderExample(name));
  });
});
