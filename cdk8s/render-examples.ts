/**
 * Renders the FractalLBA examples (examples/fractallba-*.yaml) into golden/manifests/, so a
 * review shows what a spec change does to the children.
 *   npx tsx cdk8s/render-examples.ts           write them
 *   npx tsx cdk8s/render-examples.ts --check   exit 1 when a checked-in file differs
 * The keys stand in for what the SigningKey controller would report: the default verifier
 * Secret name, a fixed checksum and a fixed key id per key.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { verifierSecretName } from '../operator/api/constants.ts';
import { resolveFractalLBA } from '../operator/api/fractallba.ts';
import { renderFractalLBA } from './render.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const EXAMPLES_DIR = join(root, 'examples');
export const GOLDEN_DIR = join(root, 'golden', 'manifests');
const EXAMPLE_NAMESPACE = 'default';

const digest = (text: string) => createHash('sha256').update(text).digest('hex');

/** The FractalLBA example files, by base name (`fractallba-dev`, ...). */
export function exampleNames(): string[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((f) => /^fractallba-.*\.yaml$/.test(f))
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort();
}

/** The golden YAML of one example: every child, in apply order, one document each. */
export function renderExample(name: string): string {
  const resource = parse(readFileSync(join(EXAMPLES_DIR, `${name}.yaml`), 'utf8'));
  const resolved = resolveFractalLBA(resource);
  if (!resolved.ok) throw new Error(`examples/${name}.yaml: ${resolved.errors.join('; ')}`);

  const flkName = resource.metadata.name as string;
  const manifests = renderFractalLBA({
    flk: {
      name: flkName,
      namespace: resource.metadata.namespace ?? EXAMPLE_NAMESPACE,
      uid: `00000000-0000-4000-8000-${digest(flkName).slice(0, 12)}`,
      generation: 1,
      labels: resource.metadata.labels,
    },
    spec: resolved.spec,
    keys: resolved.spec.signing.keyRefs.map((ref) => ({
      signingKeyName: ref.name,
      verifierSecretName: verifierSecretName(ref.name),
      checksum: digest(`golden:${ref.name}`),
      keyIds: [`ed25519-${digest(`golden kid:${ref.name}`).slice(0, 16)}`],
    })),
  });

  const header = `# Rendered by \`npx tsx cdk8s/render-examples.ts\` from examples/${name}.yaml. Do not edit.\n`;
  return header + manifests.map((m) => stringify(m, { lineWidth: 0 })).join('---\n');
}

function main(): void {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const name of exampleNames()) {
    const path = join(GOLDEN_DIR, `${name}.yaml`);
    const want = renderExample(name);
    let have = '';
    try {
      have = readFileSync(path, 'utf8');
    } catch {
      // missing: written below, or reported as stale
    }
    if (have === want) continue;

    if (check) {
      stale += 1;
      console.error(`golden/manifests/${name}.yaml: stale; run npx tsx cdk8s/render-examples.ts`);
    } else {
      writeFileSync(path, want);
      console.log(`golden/manifests/${name}.yaml: written`);
    }
  }
  process.exitCode = stale > 0 ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
