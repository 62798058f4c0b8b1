/**
 * PrometheusRule (Prometheus Operator, monitoring.coreos.com/v1) as a raw ApiObject, rendered
 * only when asked for (its CRD must be installed).
 */
import { ApiObject } from 'cdk8s';
import { COMPONENTS, childMetadata, childName } from './metadata.ts';
import { MONITORING_API } from './service-monitor.ts';
import { synth } from './synth.ts';
import type { KubeManifest, RenderInput } from './types.ts';

/**
 * The alert group of one backend. A placeholder holding BackendDown only; the full rule set
 * (alerts/) replaces the group's rules when it lands.
 */
export function backendAlertGroup(input: RenderInput) {
  const job = `job="${childName(input)}",namespace="${input.flk.namespace}"`;
  // Targets vanish when every pod is gone; absent() sees that, but only when we scrape them.
  const scraped = input.spec.metrics.serviceMonitor.enabled;
  const expr = scraped ? `up{${job}} == 0 or absent(up{${job}})` : `up{${job}} == 0`;
  return {
    name: 'flk-backend',
    rules: [
      {
        alert: 'BackendDown',
        expr,
        for: '5m',
        labels: { severity: 'critical' },
        annotations: {
          summary: `FLK backend ${input.flk.namespace}/${input.flk.name} is down`,
          description:
            'Prometheus cannot scrape any backend pod of this FractalLBA for 5 minutes; ' +
            'agents cannot submit records. Check `kubectl get flk` and the pods.',
        },
      },
    ],
  };
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
      spec: { groups: [backendAlertGroup(input)] },
    });
  });
}
