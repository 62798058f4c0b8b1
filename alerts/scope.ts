/**
 * Which series a rule set looks at. The operator renders one PrometheusRule per FractalLBA,
 * scoped to that backend's scrape job and to the SigningKeys it uses; the checked-in
 * alerts/flk-rules.yaml is the same rules with the default scope below, for a Prometheus that
 * is configured by hand.
 */

export interface BackendScope {
  /** Matchers of every backend series, e.g. `job="flk-prod",namespace="ingest"`. */
  selector: string;
  /**
   * Also alert when the backend's targets are missing from Prometheus altogether. Right only
   * when the scope is certainly scraped (the operator renders a ServiceMonitor for it).
   */
  alertWhenAbsent: boolean;
}

export interface SigningKeyScope {
  /** Matchers of the operator's SigningKey series, e.g. `signingkey_namespace="ingest"`. */
  selector: string;
}

export interface RuleScope {
  backend: BackendScope;
  /** Omitted: no SigningKey rules (a FractalLBA that verifies no keys). */
  signingKeys?: SigningKeyScope;
  /** The operator's own rules are cluster-wide: once per Prometheus, never per FractalLBA. */
  operator: boolean;
}

/** Scrape job name the static rule file expects for the backends (any namespace). */
export const STATIC_BACKEND_JOB = 'flk-backend';

export const STATIC_SCOPE: RuleScope = {
  backend: { selector: `job="${STATIC_BACKEND_JOB}"`, alertWhenAbsent: true },
  signingKeys: { selector: '' },
  operator: true,
};

/** The labels a per-backend alert keeps: one alert per FractalLBA. */
export const BY_BACKEND = 'namespace, job';
/** The labels a per-pod alert keeps (`pod` is set by the Prometheus Operator, `instance` always). */
export const BY_POD = 'namespace, job, instance, pod';
