/**
 * The operator's own workload: its Deployment (leader-elected replicas, probes on the health
 * port, the restricted pod security profile), the metrics Service, a PDB and, on request, a
 * ServiceMonitor. Built from cdk8s-plus's generated `k8s` imports, like the backend Deployment:
 * the plus Deployment adds a `cdk8s.io/metadata.addr` pod label that would make the selector
 * depend on the construct path.
 */
import { ApiObject, type Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-34';

import { OPERATOR_POD_LABELS } from '../../operator/api/constants.ts';
import { installLabels, type InstallNames } from './names.ts';
import type { InstallOptions } from './options.ts';

/** The port of `/healthz`, `/readyz` and `/metrics` (`--health-addr`). */
export const HEALTH_PORT = 8081;
const PORT_NAME = 'metrics';
/** The operator image's user (operator/Dockerfile). */
const USER = 10001;

/** Labels that select the operator's pods; part of an immutable selector, so never change them. */
export function operatorSelector(): Record<string, string> {
  return { ...OPERATOR_POD_LABELS, 'app.kubernetes.io/component': 'controller' };
}

export function operatorArgs(o: InstallOptions, names: InstallNames): string[] {
  const args = [
    '--leader-elect=true',
    `--lease-name=${names.lease}`,
    `--health-addr=0.0.0.0:${HEALTH_PORT}`,
    `--log-level=${o.logLevel}`,
  ];
  if (o.watchNamespaces.length > 0) args.push(`--namespaces=${o.watchNamespaces.join(',')}`);
  return args;
}

export function addOperatorDeployment(chart: Chart, o: InstallOptions, names: InstallNames): void {
  const selector = operatorSelector();
  const fieldEnv = (name: string, fieldPath: string): k8s.EnvVar => ({
    name,
    valueFrom: { fieldRef: { fieldPath } },
  });
  const probe = (path: string, periodSeconds: number, failureThreshold: number): k8s.Probe => ({
    httpGet: { path, port: k8s.IntOrString.fromNumber(HEALTH_PORT) },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold,
  });

  new k8s.KubeDeployment(chart, 'deployment', {
    metadata: {
      name: names.deployment,
      namespace: o.namespace,
      labels: { ...installLabels(o), ...selector },
    },
    spec: {
      replicas: o.replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector },
      // One new pod before an old one goes: a standby is always there to take the lease.
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: {
          maxSurge: k8s.IntOrString.fromNumber(1),
          maxUnavailable: k8s.IntOrString.fromNumber(0),
        },
      },
      template: {
        metadata: {
          labels: { ...installLabels(o), ...selector },
          annotations: { 'kubectl.kubernetes.io/default-container': 'operator' },
        },
        spec: {
          serviceAccountName: names.serviceAccount,
          automountServiceAccountToken: true,
          // Longer than the operator's own --shutdown-timeout (25s): it finishes the reconcile in
          // flight and hands the lease over before the kubelet kills it.
          terminationGracePeriodSeconds: 30,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: USER,
            runAsGroup: USER,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    topologyKey: 'kubernetes.io/hostname',
                    labelSelector: { matchLabels: selector },
                  },
                },
              ],
            },
          },
          containers: [
            {
              name: 'operator',
              image: o.image,
              imagePullPolicy: o.imagePullPolicy,
              args: operatorArgs(o, names),
              env: [
                fieldEnv('POD_NAME', 'metadata.name'),
                fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
              ],
              ports: [{ name: PORT_NAME, containerPort: HEALTH_PORT, protocol: 'TCP' }],
              startupProbe: probe('/healthz', 2, 30),
              livenessProbe: probe('/healthz', 10, 3),
              readinessProbe: probe('/readyz', 5, 3),
              resources: {
                requests: {
                  cpu: k8s.Quantity.fromString('100m'),
                  memory: k8s.Quantity.fromString('128Mi'),
                },
                limits: { memory: k8s.Quantity.fromString('512Mi') },
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                privileged: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                runAsUser: USER,
                runAsGroup: USER,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } }],
        },
      },
    },
  });

  new k8s.KubePodDisruptionBudget(chart, 'pdb', {
    metadata: { name: names.deployment, namespace: o.namespace, labels: installLabels(o) },
    spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector } },
  });
}

export function addMetricsService(chart: Chart, o: InstallOptions, names: InstallNames): void {
  new k8s.KubeService(chart, 'metrics-service', {
    metadata: {
      name: names.metricsService,
      namespace: o.namespace,
      labels: { ...installLabels(o), ...operatorSelector() },
    },
    spec: {
      type: 'ClusterIP',
      selector: operatorSelector(),
      ports: [
        {
          name: PORT_NAME,
          port: HEALTH_PORT,
          targetPort: k8s.IntOrString.fromString(PORT_NAME),
          protocol: 'TCP',
        },
      ],
    },
  });
}

/** monitoring.coreos.com/v1 ServiceMonitor; a raw ApiObject, as cdk8s has no import of it. */
export function addServiceMonitor(chart: Chart, o: InstallOptions, names: InstallNames): void {
  new ApiObject(chart, 'service-monitor', {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: names.deployment, namespace: o.namespace, labels: installLabels(o) },
    spec: {
      selector: { matchLabels: operatorSelector() },
      namespaceSelector: { matchNames: [o.namespace] },
      endpoints: [{ port: PORT_NAME, path: '/metrics', interval: '30s' }],
    },
  } as ConstructorParameters<typeof ApiObject>[2]);
}
