/**
 * Just enough of Grafana's dashboard JSON model (schemaVersion 39) to build FLK's dashboard from
 * data: rows, time series, stats and tables on a 24-column grid, each reading Prometheus.
 */

export interface Query {
  expr: string;
  legend?: string;
  /** Tables read one instant value per series. */
  instant?: boolean;
}

export interface PanelSpec {
  title: string;
  description: string;
  type?: 'timeseries' | 'stat' | 'table';
  unit?: string;
  /** Grid columns out of 24; the default puts three panels in a row. */
  width?: number;
  queries: Query[];
  /** Threshold lines or colours, e.g. [14.4] for a burn rate. */
  thresholds?: number[];
  stacked?: boolean;
}

export interface RowSpec {
  title: string;
  panels: PanelSpec[];
}

export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
const HEIGHT = 8;

function thresholdSteps(values: number[] = []) {
  return {
    mode: 'absolute',
    steps: [
      { color: 'green', value: null },
      ...values.map((value, i) => ({ color: i === 0 ? 'orange' : 'red', value })),
    ],
  };
}

function panel(p: PanelSpec, id: number, x: number, y: number) {
  const type = p.type ?? 'timeseries';
  return {
    id,
    type,
    title: p.title,
    description: p.description,
    datasource: DATASOURCE,
    gridPos: { x, y, w: p.width ?? 8, h: HEIGHT },
    fieldConfig: {
      defaults: {
        unit: p.unit ?? 'short',
        thresholds: thresholdSteps(p.thresholds),
        ...(type === 'timeseries' && {
          custom: {
            drawStyle: 'line',
            fillOpacity: p.stacked ? 30 : 10,
            stacking: { mode: p.stacked ? 'normal' : 'none' },
            thresholdsStyle: { mode: p.thresholds ? 'line' : 'off' },
          },
        }),
      },
      overrides: [],
    },
    options:
      type === 'table'
        ? { showHeader: true }
        : type === 'stat'
          ? { reduceOptions: { calcs: ['lastNotNull'] }, colorMode: 'value' }
          : { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
    targets: p.queries.map((q, i) => ({
      datasource: DATASOURCE,
      refId: String.fromCharCode(65 + i),
      expr: q.expr,
      legendFormat: q.legend ?? '',
      ...(q.instant ? { instant: true, range: false, format: 'table' } : { range: true }),
    })),
    ...(type === 'table' && {
      transformations: [{ id: 'organize', options: { excludeByName: { Time: true } } }],
    }),
  };
}

/** Lays the rows out top to bottom, each row's panels left to right, wrapping at 24 columns. */
export function layout(rows: RowSpec[]) {
  const panels: unknown[] = [];
  let id = 1;
  let y = 0;
  for (const row of rows) {
    panels.push({
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { x: 0, y, w: 24, h: 1 },
      panels: [],
    });
    y += 1;
    let x = 0;
    for (const p of row.panels) {
      const w = p.width ?? 8;
      if (x + w > 24) {
        x = 0;
        y += HEIGHT;
      }
      panels.push(panel(p, id++, x, y));
      x += w;
    }
    y += HEIGHT;
  }
  return panels;
}

/** A query variable fed by `label_values(...)`. */
export function queryVariable(name: string, label: string, query: string) {
  return {
    name,
    label,
    type: 'query',
    datasource: DATASOURCE,
    query: { query, refId: `${name}-variable` },
    definition: query,
    refresh: 2,
    sort: 1,
    includeAll: false,
    multi: false,
    current: {},
    options: [],
  };
}
