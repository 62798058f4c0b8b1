/**
 * Writes the generated files of alerts/ from their TypeScript sources:
 *   npx tsx alerts/generate.ts           write them
 *   npx tsx alerts/generate.ts --check   exit 1 when a checked-in file differs
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DASHBOARD_FILE, dashboardJson } from './dashboards/flk-dashboard.ts';
import { PROMTOOL_TEST_FILE, promtoolTestsYaml } from './promtool-tests.ts';
import { OPERATOR_RULES_FILE, RULES_FILE, operatorRulesYaml, staticRulesYaml } from './rules.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every generated file, by path from the repository root, with its expected content. */
export function generatedFiles(): Record<string, string> {
  return {
    [RULES_FILE]: staticRulesYaml(),
    [OPERATOR_RULES_FILE]: operatorRulesYaml(),
    [PROMTOOL_TEST_FILE]: promtoolTestsYaml(),
    [DASHBOARD_FILE]: dashboardJson(),
  };
}

function main(): void {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [file, want] of Object.entries(generatedFiles())) {
    const path = join(ROOT, file);
    let have = '';
    try {
      have = readFileSync(path, 'utf8');
    } catch {
      // missing: written below, or reported as stale
    }
    if (have === want) continue;

    if (check) {
      stale += 1;
      console.error(`${file}: stale; run npx tsx alerts/generate.ts`);
    } else {
      writeFileSync(path, want);
      console.log(`${file}: written`);
    }
  }
  process.exitCode = stale > 0 ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
