import { beforeAll, describe, expect, it } from 'vitest';
import { metricNames } from '../../alerts/promql-names.ts';
import {
  EXTERNAL_METRICS,
  STATIC_SCOPE,
  fractalLBAScope,
  isAlert,
  ruleGroups,
  type RuleGroup,
} from '../../alerts/rules.ts';
import { dashboardQueries } from '../../alerts/dashboards/flk-dashboard.ts';
import { scrapeBackends, scrapeOperator, type Exported } from './alerts-exported-metrics.ts';

const scopes = {
  static: ruleGroups(STATIC_SCOPE),
  rendered: ruleGroups(
    fractalLBAScope({
      name: 'flk-prod',
      namespace: 'ingest',
      signingKeys: ['agents'],
      scraped: true,
    }),
  ),
};
const records = (groups: RuleGroup[]) =>
  new Set(groups.flatMap((g) => g.rules.flatMap((r) => ('record' in r ? [r.record] : []))));

let backend: Exported;
let operator: Exported;
beforeAll(async () => {
  [backend, operator] = await Promise.all([scrapeBackends(), scrapeOperator()]);
});

/** A name is fine when a live scrape has series of it, a rule records it, or it is external. */
function missing(names: string[], recorded: Set<string>): string[] {
  return names.filter(
    (n) =>
      !backend.samples.has(n) &&
      !operator.samples.has(n) &&
      !recorded.has(n) &&
      !(n in EXTERNAL_METRICS),
  );
}

describe('every metric the alerts read is exported by a live backend or operator', () => {
  it.each(Object.keys(scopes) as (keyof typeof scopes)[])('%s rules', (scope) => {
    const groups = scopes[scope];
    for (const rule of groups.flatMap((g) => g.rules)) {
      const names = metricNames(rule.expr);
      const label = isAlert(rule) ? rule.alert : rule.record;
      expect(names.length, `${label} reads no metric`).toBeGreaterThan(0);
      expect(missing(names, records(groups)), `${label}: not exported`).toEqual([]);
    }
  });

  it('every dashboard query too', () => {
    for (const q of dashboardQueries()) {
      expect(metricNames(q).length, q).toBeGreaterThan(0);
      expect(missing(metricNames(q), records(scopes.static)), q).toEqual([]);
    }
  });

  it('the external allow-list holds only names something uses', () => {
    const used = new Set([
      ...scopes.static.flatMap((g) => g.rules.flatMap((r) => metricNames(r.expr))),
      ...dashboardQueries().flatMap(metricNames),
    ]);
    for (const name of Object.keys(EXTERNAL_METRICS)) expect(used, name).toContain(name);
    expect(Object.keys(EXTERNAL_METRICS).sort()).toEqual(['ALERTS', 'up']);
  });

  it('the backend reports its WAL volume, memory limit and store state with real values', () => {
    const value = (name: string) =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(backend.text)?.[1]);
    expect(value('flk_wal_volume_capacity_bytes')).toBeGreaterThan(0);
    expect(value('flk_wal_volume_available_bytes')).toBeGreaterThan(0);
    expect(value('flk_wal_volume_available_bytes')).toBeLessThanOrEqual(
      value('flk_wal_volume_capacity_bytes'),
    );
    expect(value('flk_process_memory_limit_bytes')).toBeGreaterThan(64 * 2 ** 20);
    expect(backend.text).toMatch(/^flk_dedup_store_up\{backend="memory"\} 1$/m);
    expect(backend.text).toMatch(/^flk_dedup_store_up\{backend="redis"\} 0$/m);
  });

  it('the TLS backend reports both certificates in the future and counts a refused handshake', () => {
    const now = Date.now() / 1000;
    for (const cert of ['serving', 'client_ca']) {
      const m = new RegExp(`^flk_tls_cert_not_after_seconds\\{cert="${cert}"\\} (\\d+)$`, 'm');
      expect(Number(m.exec(backend.text)?.[1]), cert).toBeGreaterThan(now);
    }
    expect(backend.text).toMatch(/^flk_tls_reload_errors_total 0$/m);
    expect(backend.text).toMatch(
      /^flk_tls_handshake_failures_total\{reason="client_cert_missing"\} [1-9]\d*$/m,
    );
  });
});
