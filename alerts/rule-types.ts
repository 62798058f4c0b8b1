/**
 * The shapes of Prometheus rule groups (what `promtool check rules` and a PrometheusRule's
 * spec.groups accept) and the small helpers the rule files build them with.
 */

export type Severity = 'critical' | 'warning';

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: Severity } & Record<string, string>;
  /** summary and description may use `{{ $labels.x }}`; nothing else is templated. */
  annotations: { summary: string; description: string; runbook_url: string };
}

export interface RecordingRule {
  record: string;
  expr: string;
}

export type Rule = AlertRule | RecordingRule;

export interface RuleGroup {
  name: string;
  rules: Rule[];
}

/**
 * Where the runbooks are published; each alert links `<base><file>#<alert in lower case>`, the
 * anchor GitHub gives a `## <AlertName>` heading. A test checks every link names a file under
 * runbooks/ with that heading.
 */
export const RUNBOOK_BASE_URL = 'https://github.com/fractal-lba/flk/blob/main/runbooks/';

export function runbookUrl(file: string, alert: string): string {
  return `${RUNBOOK_BASE_URL}${file}#${alert.toLowerCase()}`;
}

export function isAlert(rule: Rule): rule is AlertRule {
  return 'alert' in rule;
}

/**
 * `name{matchers}`: the scope's matchers first, then the rule's own. With none at all, the bare
 * name (valid PromQL either way, but easier to read).
 */
export function series(name: string, ...matchers: (string | undefined)[]): string {
  const all = matchers.filter((m): m is string => m !== undefined && m !== '');
  return all.length === 0 ? name : `${name}{${all.join(',')}}`;
}

/** One alert, with its runbook link filled in from the file and the alert's name. */
export function alert(
  runbook: string,
  a: {
    alert: string;
    expr: string;
    for?: string;
    severity: Severity;
    summary: string;
    description: string;
  },
): AlertRule {
  return {
    alert: a.alert,
    expr: a.expr,
    ...(a.for !== undefined && { for: a.for }),
    labels: { severity: a.severity },
    annotations: {
      summary: a.summary,
      description: a.description,
      runbook_url: runbookUrl(runbook, a.alert),
    },
  };
}
