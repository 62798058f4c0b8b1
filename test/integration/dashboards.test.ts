import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../alerts/generate.ts';
import { metricNames } from '../../alerts/promql-names.ts';
import { EXTERNAL_METRICS, STATIC_SCOPE, ruleGroups } from '../../alerts/rules.ts';
import { DASHBOARD_FILE, dashboardJson } from '../../alerts/dashboards/flk-dashboard.ts';
import { scrapeBackends, scrapeOperator } from './alerts-exported-metrics.ts';

interface Target {
  expr: string;
  refId: string;
  datasource: { uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { uid: string };
  targets?: Target[];
}

const dashboard = JSON.parse(fs.readFileSync(path.join(ROOT, DASHBOARD_FILE), 'utf8'));
const panels: Panel[] = dashboard.panels;
const queries = (): string[] => [
  ...panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
  ...dashboard.templating.list.flatMap((v: { definition?: string }) => v.definition ?? []),
  ...dashboard.annotations.list.map((a: { expr: string }) => a.expr),
];

let exported: Set<string>;
beforeAll(async () => {
  const [b, o] = await Promise.all([scrapeBackends(), scrapeOperator()]);
  const recorded = ruleGroups(STATIC_SCOPE).flatMap((g) =>
    g.rules.flatMap((r) => ('record' in r ? [r.record] : [])),
  );
  exported = new Set([...b.samples, ...o.samples, ...recorded, ...Object.keys(EXTERNAL_METRICS)]);
});

describe(`the Grafana dashboard ${DASHBOARD_FILE}`, () => {
  it('is the checked-in render of alerts/dashboards/flk-dashboard.ts', () => {
    expect(fs.readFileSync(path.join(ROOT, DASHBOARD_FILE), 'utf8')).toBe(dashboardJson());
  });

  it('reads only metrics a live backend or operator exports (or a rule records)', () => {
    const all = queries();
    expect(all.length).toBeGreaterThan(30);
    for (const q of all) {
      const names = metricNames(q);
      expect(names.length, `names no metric: ${q}`).toBeGreaterThan(0);
      expect(
        names.filter((n) => !exported.has(n)),
        `not exported: ${q}`,
      ).toEqual([]);
    }
  });

  it('covers SLO burn, latency, dedup ratio, signature reasons, WAL, TLS, reconciles and key states', () => {
    const text = queries().join('\n');
    for (const name of [
      'flk:submit_error_ratio:rate1h',
      'flk_http_request_duration_seconds_bucket',
      'flk:dedup_hit_ratio:rate30m',
      'flk_signature_errors_by_reason_total',
      'flk_wal_fsync_duration_seconds_bucket',
      'flk_wal_batch_records_bucket',
      'flk_wal_volume_available_bytes',
      'flk_tls_cert_not_after_seconds',
      'flk_tls_handshake_failures_total',
      'flk_operator_reconcile_total',
      'flk_operator_reconcile_errors_total',
      'flk_signingkey_keys',
    ])
      expect(text).toContain(name);
  });

  it('has panels with unique ids on a 24-column grid, each querying the chosen datasource', () => {
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      if (p.type === 'row') continue;
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.datasource.uid, p.title).toBe('${datasource}');
    }
    expect(dashboard.templating.list.map((v: { name: string }) => v.name)).toEqual([
      'datasource',
      'namespace',
      'job',
    ]);
  });
});
