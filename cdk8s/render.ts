/**
 * renderFractalLBA: the desired children of one FractalLBA, as a pure function of its resolved
 * spec and its keys. No I/O; the same input gives byte-identical output. Objects come in apply
 * order: identity and config before the workloads that read them.
 */
import { podChecksum } from './checksum.ts';
import { backendEnv, renderConfigMap } from './config-map.ts';
import { renderDeployment } from './deployment.ts';
import { renderHpa } from './hpa.ts';
import { renderIngress } from './ingress.ts';
import { renderPrometheusRule } from './prometheus-rule.ts';
import { renderServiceMonitor } from './service-monitor.ts';
import { renderNetworkPolicy } from './network-policy.ts';
import { renderPdb } from './pdb.ts';
import { renderServiceAccount } from './service-account.ts';
import { renderService } from './service.ts';
import type { KubeManifest, RenderInput } from './types.ts';
import { renderWalCompaction } from './wal-compaction.ts';
import { renderWalPvc } from './wal-pvc.ts';
import { renderCertificate } from './tls.ts';

export type { KubeManifest, RenderInput, RenderKey } from './types.ts';
export { serviceURL } from './service.ts';

export function renderFractalLBA(input: RenderInput): KubeManifest[] {
  const { spec } = input;
  const config = backendEnv(input);
  const checksum = podChecksum(input, config);

  return [
    ...renderServiceAccount(input),
    ...renderConfigMap(input, config),
    ...renderWalPvc(input),
    ...renderCertificate(input),
    ...renderService(input),
    ...renderDeployment(input, checksum),
    ...(spec.autoscaling.enabled ? renderHpa(input) : []),
    ...(spec.pdb.enabled ? renderPdb(input) : []),
    ...(spec.networkPolicy.enabled ? renderNetworkPolicy(input) : []),
    ...renderWalCompaction(input),
    ...(spec.ingress.enabled ? renderIngress(input) : []),
    ...(spec.metrics.serviceMonitor.enabled ? renderServiceMonitor(input) : []),
    ...(spec.metrics.prometheusRule.enabled ? renderPrometheusRule(input) : []),
  ];
}
