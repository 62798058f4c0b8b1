/**
 * FLK's Grafana dashboard, backend and operator on one page: SLO and error budget, latency,
 * dedup, signatures and keys, WAL, dedup store, resources, TLS, reconciles, SigningKey states.
 * `npx tsx alerts/generate.ts` writes it to alerts/dashboards/flk.json (import it in Grafana, or
 * load it with a dashboard provider); a test checks every query names a metric FLK exports.
 */
import { backendRows } from './backend-rows.ts';
import { DATASOURCE, layout, queryVariable, type RowSpec } from './grafana.ts';
import { operatorRows } from './operator-rows.ts';
import { tlsRows } from './tls-rows.ts';

export const DASHBOARD_FILE = 'alerts/dashboards/flk.json';

export function dashboardRows(): RowSpec[] {
  return [...backendRows(), ...tlsRows(), ...operatorRows()];
}

export function dashboardVariables() {
  return [
    {
      name: 'datasource',
      label: 'Prometheus',
      type: 'datasource',
      query: 'prometheus',
      current: {},
    },
    queryVariable('namespace', 'Namespace', 'label_values(flk_ingest_total, namespace)'),
    queryVariable(
      'job',
      'FractalLBA',
      'label_values(flk_ingest_total{namespace="$namespace"}, job)',
    ),
  ];
}

export function dashboard() {
  return {
    uid: 'flk-overview',
    title: 'FLK: backends and operator',
    tags: ['flk'],
    timezone: 'utc',
    schemaVersion: 39,
    version: 1,
    editable: true,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    annotations: {
      list: [
        {
          name: 'FLK alerts',
          datasource: DATASOURCE,
          enable: true,
          expr: `ALERTS{alertstate="firing",alertname=~"Flk.*"}`,
          iconColor: 'red',
          titleFormat: '{{alertname}}',
        },
      ],
    },
    templating: { list: dashboardVariables() },
    panels: layout(dashboardRows()),
  };
}

export function dashboardJson(): string {
  return `${JSON.stringify(dashboard(), null, 2)}\n`;
}

/** Every PromQL expression of the dashboard: panel targets, variables and annotations. */
export function dashboardQueries(): string[] {
  const d = dashboard();
  const panels = dashboardRows().flatMap((r) =>
    r.panels.flatMap((p) => p.queries.map((q) => q.expr)),
  );
  const variables = d.templating.list.flatMap((v) => ('definition' in v ? [v.definition] : []));
  return [...panels, ...variables, ...d.annotations.list.map((a) => a.expr)];
}
