/**
 * PrometheusRule (Prometheus Operator, monitoring.coreos.com/v1) as a raw ApiObject, rendered
 * only when asked for (its CRD must be installed). Its groups are FLK's rule set (alerts/rules.ts,
 * the source of alerts/flk-rules.yaml too) scoped to this FractalLBA's scrape job and to the
 * SigningKeys it verifies with. The operator's own alerts are cluster-wide and are not repeated
 * in every FractalLBA's rule; they ship in alerts/flk-rules.yaml.
 */
import { ApiObject } from 'cdk8s';
import { fractalLBAScope, ruleGroups } from '../alerts/rules.ts';
import { COMPONENTS, childMetadata, childName } from './metadata.ts';
import { MONITORING_API } from './service-monitor.ts';
import { synth } from './synth.ts';
import type { KubeManifest, RenderInput } from './types.ts';

/** The rule groups of one backend: the ServiceMonitor's job is the Service name. */
export function backendRuleGroups(input: RenderInput) {
  const { signing, metrics } = input.spec;
  return ruleGroups(
    fractalLBAScope({
      name: childName(input),
      namespace: input.flk.namespace,
      signingKeys: signing.mode === 'keys' ? signing.keyRefs.map((ref) => ref.name) : [],
      // Targets vanish when every pod is gone; absent() sees that, but only when we scrape them.
      scraped: metrics.serviceMonitor.enabled,
    }),
  );
}

export function renderPrometheusRule(input: RenderInput): KubeManifest[] {
  return synth(input.flk.namespace, (chart) => {
    new ApiObject(chart, 'prometheus-rule', {
      apiVersion: MONITORING_API,
      kind: 'PrometheusRule',
      metadata: childMetadata(input, {
        component: COMPONENTS.monitoring,
        extraLabels: input.spec.metrics.prometheusRule.labels,
      }),
      spec: { groups: backendRuleGroups(input) },
    });
  });
}
