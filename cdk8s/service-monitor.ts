/**
 * ServiceMonitor (Prometheus Operator, monitoring.coreos.com/v1) as a raw ApiObject: no typed
 * import exists for it, and it is rendered only when asked for (its CRD must be installed).
 */
import { ApiObject } from 'cdk8s';
import { BACKEND, BASIC_AUTH_KEYS } from '../operator/api/constants.ts';
import { canonicalDuration } from '../operator/api/duration.ts';
import { COMPONENTS, childMetadata, selectorLabels } from './metadata.ts';
import { synth } from './synth.ts';
import type { KubeManifest, RenderInput } from './types.ts';

export const MONITORING_API = 'monitoring.coreos.com/v1';

export function renderServiceMonitor(input: RenderInput): KubeManifest[] {
  const { serviceMonitor, basicAuthSecretRef } = input.spec.metrics;
  const secret = basicAuthSecretRef?.name;
  const endpoint = {
    port: BACKEND.adminPortName,
    path: BACKEND.metricsPath,
    interval: canonicalDuration(serviceMonitor.interval),
    ...(secret !== undefined && {
      basicAuth: {
        username: { name: secret, key: BASIC_AUTH_KEYS.username },
        password: { name: secret, key: BASIC_AUTH_KEYS.password },
      },
    }),
  };

  return synth(input.flk.namespace, (chart) => {
    new ApiObject(chart, 'service-monitor', {
      apiVersion: MONITORING_API,
      kind: 'ServiceMonitor',
      metadata: childMetadata(input, {
        component: COMPONENTS.monitoring,
        extraLabels: serviceMonitor.labels,
      }),
      spec: {
        selector: { matchLabels: selectorLabels(input) },
        namespaceSelector: { matchNames: [input.flk.namespace] },
        endpoints: [endpoint],
      },
    });
  });
}
