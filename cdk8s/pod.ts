/**
 * What the backend Deployment and the WAL-compaction CronJob share: the restricted pod security
 * profile, the WAL volume and /tmp. Both run the backend image as user 10001 with a read-only
 * root filesystem, so the only writable paths are the WAL volume and an emptyDir at /tmp.
 */
import { k8s } from 'cdk8s-plus-34';
import { BACKEND } from '../operator/api/constants.ts';
import { SUFFIX, childName } from './metadata.ts';
import type { RenderInput } from './types.ts';

export const VOLUMES = { wal: 'wal', tmp: 'tmp' } as const;

/** Pod-level half of "restricted": non-root, fixed uid/gid, RuntimeDefault seccomp. */
export function podSecurityContext(): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: BACKEND.user,
    runAsGroup: BACKEND.user,
    // The WAL volume is made group-writable for this gid; OnRootMismatch skips the recursive
    // chown on every mount once ownership is right (large WALs mount fast).
    fsGroup: BACKEND.user,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Container-level half of "restricted". */
export function containerSecurityContext(): k8s.SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: BACKEND.user,
    runAsGroup: BACKEND.user,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function walVolume(input: RenderInput): k8s.Volume {
  return {
    name: VOLUMES.wal,
    persistentVolumeClaim: { claimName: childName(input, SUFFIX.wal) },
  };
}

export function tmpVolume(): k8s.Volume {
  return { name: VOLUMES.tmp, emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } };
}

export function walMount(): k8s.VolumeMount {
  return { name: VOLUMES.wal, mountPath: BACKEND.walDir };
}

export function tmpMount(): k8s.VolumeMount {
  return { name: VOLUMES.tmp, mountPath: BACKEND.tmpDir };
}

/** requests/limits from the resolved spec; quantities are passed through as the user wrote them. */
export function resourceRequirements(
  resources: Record<'requests' | 'limits', { cpu?: string; memory?: string }>,
): k8s.ResourceRequirements {
  const list = (r: { cpu?: string; memory?: string }) => {
    const out: Record<string, k8s.Quantity> = {};
    if (r.cpu !== undefined) out.cpu = k8s.Quantity.fromString(r.cpu);
    if (r.memory !== undefined) out.memory = k8s.Quantity.fromString(r.memory);
    return Object.keys(out).length > 0 ? out : undefined;
  };
  return { requests: list(resources.requests), limits: list(resources.limits) };
}
