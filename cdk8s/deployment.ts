/**
 * The backend Deployment.
 *
 * Built from the generated `k8s` imports rather than cdk8s-plus's Deployment: plus would need
 * three JSON patches here — it always adds a `cdk8s.io/metadata.addr` pod label, it has no
 * topologySpreadConstraints, and it takes resources as `Size`/`Cpu` objects rather than the
 * quantity strings users write — and the pod template is shared with the compaction CronJob.
 * (plus does leave `replicas` out when told an HPA owns it; we do the same below.)
 */
import { k8s } from 'cdk8s-plus-34';
import {
  ANNOTATIONS,
  BACKEND,
  BACKEND_ENV as E,
  BASIC_AUTH_KEYS,
} from '../operator/api/constants.ts';
import { keyDir, keyIdsAnnotation, keyVolumeName, sortedKeys } from './keys.ts';
import { COMPONENTS, SUFFIX, childMetadata, childName, selectorLabels } from './metadata.ts';
import {
  containerSecurityContext,
  podSecurityContext,
  resourceRequirements,
  tmpMount,
  tmpVolume,
  walMount,
  walVolume,
} from './pod.ts';
import { synth } from './synth.ts';
import { ingestPort, tlsMounts, tlsVolumes } from './tls.ts';
import type { KubeManifest, RenderInput } from './types.ts';

const ZONE = 'topology.kubernetes.io/zone';
const HOSTNAME = 'kubernetes.io/hostname';

/** Variables from Secrets, by secretKeyRef: they never pass through the ConfigMap. */
export function secretEnv(input: RenderInput): k8s.EnvVar[] {
  const { dedup, metrics } = input.spec;
  const env: k8s.EnvVar[] = [];
  const fromSecret = (name: string, secret: string, key: string): k8s.EnvVar => ({
    name,
    valueFrom: { secretKeyRef: { name: secret, key } },
  });

  if (dedup.backend === 'redis' && dedup.redis) {
    env.push(fromSecret(E.redisAddr, dedup.redis.secretRef.name, dedup.redis.secretRef.key));
  }
  if (dedup.backend === 'postgres' && dedup.postgres) {
    env.push(
      fromSecret(E.postgresConn, dedup.postgres.secretRef.name, dedup.postgres.secretRef.key),
    );
  }
  if (metrics.basicAuthSecretRef) {
    const secret = metrics.basicAuthSecretRef.name;
    env.push(fromSecret(E.metricsUser, secret, BASIC_AUTH_KEYS.username));
    env.push(fromSecret(E.metricsPass, secret, BASIC_AUTH_KEYS.password));
  }
  return env;
}

function topologySpread(input: RenderInput): k8s.TopologySpreadConstraint[] {
  const constraint = (topologyKey: string): k8s.TopologySpreadConstraint => ({
    topologyKey,
    maxSkew: 1,
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels: selectorLabels(input) },
    // Count only pods of the same ReplicaSet, so a rollout does not skew against old pods.
    matchLabelKeys: ['pod-template-hash'],
  });
  const zones = input.spec.topologySpread.zones ? [constraint(ZONE)] : [];
  return [...zones, constraint(HOSTNAME)];
}

/**
 * Recreate when two pods must never overlap: a ReadWriteOnce volume cannot attach to a second
 * node, and the memory store's snapshot file has one writer.
 */
function strategy(input: RenderInput): k8s.DeploymentStrategy {
  const { wal, dedup } = input.spec;
  if (wal.accessMode === 'ReadWriteOnce' || dedup.backend === 'memory') return { type: 'Recreate' };
  return {
    type: 'RollingUpdate',
    rollingUpdate: {
      maxSurge: k8s.IntOrString.fromString('25%'),
      maxUnavailable: k8s.IntOrString.fromNumber(0),
    },
  };
}

/**
 * Probes go to the plain-HTTP admin listener, so they keep working when the ingest port speaks
 * HTTPS or demands client certificates that kubelet does not have.
 */
function httpProbe(path: string, periodSeconds: number, failureThreshold: number): k8s.Probe {
  return {
    httpGet: { path, port: k8s.IntOrString.fromString(BACKEND.adminPortName) },
    periodSeconds,
    failureThreshold,
    timeoutSeconds: 2,
  };
}

function backendPodSpec(input: RenderInput): k8s.PodSpec {
  const keys = sortedKeys(input);
  const ingest = ingestPort(input);
  return {
    serviceAccountName: childName(input),
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: podSecurityContext(),
    terminationGracePeriodSeconds: 30,
    topologySpreadConstraints: topologySpread(input),
    containers: [
      {
        name: BACKEND.containerName,
        image: input.spec.image,
        imagePullPolicy: 'IfNotPresent',
        ports: [
          { name: ingest.name, containerPort: ingest.containerPort, protocol: 'TCP' },
          { name: BACKEND.adminPortName, containerPort: BACKEND.adminPort, protocol: 'TCP' },
        ],
        envFrom: [{ configMapRef: { name: childName(input, SUFFIX.config) } }],
        env: [
          { name: E.podName, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          ...secretEnv(input),
        ],
        resources: resourceRequirements(input.spec.resources),
        securityContext: containerSecurityContext(),
        // Start-up may replay the WAL; the startup probe holds liveness off for up to 5 minutes.
        startupProbe: httpProbe(BACKEND.healthPath, 5, 60),
        livenessProbe: httpProbe(BACKEND.healthPath, 10, 3),
        readinessProbe: httpProbe(BACKEND.readyPath, 5, 3),
        volumeMounts: [
          walMount(),
          tmpMount(),
          ...tlsMounts(input),
          // Whole directories, never subPath: kubelet then swaps rotated keys in place.
          ...keys.map((key, i) => ({
            name: keyVolumeName(i),
            mountPath: keyDir(key),
            readOnly: true,
          })),
        ],
      },
    ],
    volumes: [
      walVolume(input),
      tmpVolume(),
      ...tlsVolumes(input),
      ...keys.map((key, i) => ({
        name: keyVolumeName(i),
        secret: { secretName: key.verifierSecretName, defaultMode: 0o440 },
      })),
    ],
  };
}

export function renderDeployment(input: RenderInput, checksum: string): KubeManifest[] {
  const { spec } = input;
  const keyIds = keyIdsAnnotation(input);
  return synth(input.flk.namespace, (chart) => {
    new k8s.KubeDeployment(chart, 'deployment', {
      metadata: childMetadata(input, { component: COMPONENTS.backend }),
      spec: {
        // With an HPA the field is left out entirely, so the HPA alone owns the replica count.
        ...(!spec.autoscaling.enabled && { replicas: spec.replicas }),
        revisionHistoryLimit: 5,
        progressDeadlineSeconds: 600,
        selector: { matchLabels: selectorLabels(input) },
        strategy: strategy(input),
        template: {
          metadata: {
            labels: selectorLabels(input),
            annotations: {
              [ANNOTATIONS.checksum]: checksum,
              ...(keyIds !== undefined && { [ANNOTATIONS.keyIds]: keyIds }),
              'kubectl.kubernetes.io/default-container': BACKEND.containerName,
            },
          },
          spec: backendPodSpec(input),
        },
      },
    });
  });
}
