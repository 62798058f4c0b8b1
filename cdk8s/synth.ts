/**
 * Renders constructs to plain JSON: one cdk8s App and Chart per child, `toJson()` only (nothing
 * is written to disk), then keys put in one fixed order so the bytes never depend on insertion
 * order or on cdk8s's CDK8S_DISABLE_SORT environment switch.
 */
import { App, Chart } from 'cdk8s';
import type { KubeManifest } from './types.ts';

export function synth(namespace: string, build: (chart: Chart) => void): KubeManifest[] {
  const app = new App();
  const chart = new Chart(app, 'flk', { namespace, disableResourceNameHashes: true });
  build(chart);
  return chart.toJson().map((object) => canonical(object) as KubeManifest);
}

const HEAD = ['apiVersion', 'kind', 'metadata'];

/** Sorts object keys (apiVersion, kind, metadata first at the top); arrays keep their order. */
export function canonical(value: unknown, top = true): unknown {
  if (Array.isArray(value)) return value.map((item) => canonical(item, false));
  if (typeof value !== 'object' || value === null) return value;

  const keys = Object.keys(value).sort();
  const ordered = top
    ? [...HEAD.filter((k) => keys.includes(k)), ...keys.filter((k) => !HEAD.includes(k))]
    : keys;
  return Object.fromEntries(
    ordered.map((k) => [k, canonical((value as Record<string, unknown>)[k], false)]),
  );
}
