/**
 * The WAL-compaction CronJob: the backend image's `wal compact` command on the same claim, with
 * the same restricted pod security. From the generated `k8s` imports: cdk8s-plus's CronJob
 * takes a `Cron` object (not the user's cron string) and its container API has the same
 * resource and label quirks as its Deployment (see deployment.ts).
 */
import { k8s } from 'cdk8s-plus-34';
import { BACKEND, BACKEND_ENV as E } from '../operator/api/constants.ts';
import { canonicalDuration } from '../operator/api/duration.ts';
import {
  COMPONENTS,
  SUFFIX,
  childLabels,
  childMetadata,
  childName,
  selectorLabels,
} from './metadata.ts';
import {
  containerSecurityContext,
  podSecurityContext,
  tmpMount,
  tmpVolume,
  walMount,
  walVolume,
} from './pod.ts';
import { synth } from './synth.ts';
import type { KubeManifest, RenderInput } from './types.ts';

/**
 * A ReadWriteOnce volume attaches to one node only, so the job must run on the node of the
 * backend pod that holds it.
 */
function sameNodeAsBackend(input: RenderInput): k8s.Affinity | undefined {
  if (input.spec.wal.accessMode !== 'ReadWriteOnce') return undefined;
  return {
    podAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        {
          labelSelector: { matchLabels: selectorLabels(input) },
          topologyKey: 'kubernetes.io/hostname',
        },
      ],
    },
  };
}

export function compactionCommand(input: RenderInput): string[] {
  const retention = canonicalDuration(input.spec.wal.retention);
  return ['node', BACKEND.walCli, 'compact', '--retention', retention];
}

export function renderWalCompaction(input: RenderInput): KubeManifest[] {
  const labels = childLabels(input, COMPONENTS.walCompaction);
  return synth(input.flk.namespace, (chart) => {
    new k8s.KubeCronJob(chart, 'wal-compaction', {
      metadata: childMetadata(input, {
        suffix: SUFFIX.walCompaction,
        component: COMPONENTS.walCompaction,
      }),
      spec: {
        schedule: input.spec.wal.compactionSchedule,
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 300,
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: 2,
            // Bounds a job that waits for its node (ReadWriteOnce) or hangs: Forbid would
            // otherwise block every later run.
            activeDeadlineSeconds: 900,
            template: {
              metadata: { labels },
              spec: {
                restartPolicy: 'Never',
                serviceAccountName: childName(input),
                automountServiceAccountToken: false,
                enableServiceLinks: false,
                securityContext: podSecurityContext(),
                affinity: sameNodeAsBackend(input),
                containers: [
                  {
                    name: 'wal-compaction',
                    image: input.spec.image,
                    imagePullPolicy: 'IfNotPresent',
                    command: compactionCommand(input),
                    env: [{ name: E.walDir, value: BACKEND.walDir }],
                    resources: {
                      requests: {
                        cpu: k8s.Quantity.fromString('10m'),
                        memory: k8s.Quantity.fromString('64Mi'),
                      },
                      limits: { memory: k8s.Quantity.fromString('256Mi') },
                    },
                    securityContext: containerSecurityContext(),
                    volumeMounts: [walMount(), tmpMount()],
                  },
                ],
                volumes: [walVolume(input), tmpVolume()],
              },
            },
          },
        },
      },
    });
  });
}
