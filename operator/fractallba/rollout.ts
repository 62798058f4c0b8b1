import { APPLIED_HASH_ANNOTATION } from '../kube/apply.ts';
import type { KubeObject } from '../kube/types.ts';

interface DeploymentCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

interface DeploymentShape extends KubeObject {
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: DeploymentCondition[];
  };
}

export interface ReplicaCounts {
  replicas: number;
  readyReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
}

export type Rollout =
  | { state: 'absent'; message: string }
  | { state: 'progressing'; message: string; counts: ReplicaCounts }
  | { state: 'stalled' | 'replica-failure'; message: string; counts: ReplicaCounts }
  | { state: 'complete'; message: string; counts: ReplicaCounts };

/**
 * Where the rollout of the backend Deployment stands, the way `kubectl rollout status` judges it,
 * with a message that says what is awaited. `desiredHash` is the applied-hash of the Deployment
 * just rendered: a cached Deployment that does not carry it yet (our write is still on its way, or
 * was just made) says nothing about the rollout of the current spec, so the rollout is not done.
 */
export function assessRollout(
  obj: KubeObject | undefined,
  name: string,
  desiredHash?: string,
): Rollout {
  if (!obj) return { state: 'absent', message: `waiting for Deployment ${name} to be created` };

  const d = obj as DeploymentShape;
  const status = d.status ?? {};
  const counts: ReplicaCounts = {
    replicas: status.replicas ?? 0,
    readyReplicas: status.readyReplicas ?? 0,
    updatedReplicas: status.updatedReplicas ?? 0,
    availableReplicas: status.availableReplicas ?? 0,
  };
  const desired = d.spec?.replicas ?? 1;
  const generation = d.metadata.generation ?? 0;
  const conditions = status.conditions ?? [];

  if (
    desiredHash !== undefined &&
    d.metadata.annotations?.[APPLIED_HASH_ANNOTATION] !== desiredHash
  ) {
    return {
      state: 'progressing',
      counts,
      message: `waiting for Deployment ${name} to take the new spec`,
    };
  }
  if ((status.observedGeneration ?? 0) < generation) {
    return {
      state: 'progressing',
      counts,
      message: `waiting for the Deployment controller to observe generation ${generation} of Deployment ${name}`,
    };
  }

  const progressing = conditions.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return {
      state: 'stalled',
      counts,
      message:
        `Deployment ${name} exceeded its progress deadline: ${progressing.message ?? 'no message'}; ` +
        'see the events of its pods (kubectl describe pods) for why they do not become ready',
    };
  }
  const replicaFailure = conditions.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (replicaFailure) {
    return {
      state: 'replica-failure',
      counts,
      message: `Deployment ${name} cannot create pods: ${replicaFailure.message ?? replicaFailure.reason ?? 'unknown'}`,
    };
  }

  if (counts.updatedReplicas < desired) {
    return {
      state: 'progressing',
      counts,
      message: `waiting for ${desired - counts.updatedReplicas} of ${desired} ${plural(desired, 'replica')} to be updated`,
    };
  }
  if (counts.replicas > counts.updatedReplicas) {
    const old = counts.replicas - counts.updatedReplicas;
    return {
      state: 'progressing',
      counts,
      message: `waiting for ${old} old ${plural(old, 'replica')} to terminate`,
    };
  }
  if (counts.availableReplicas < desired) {
    return {
      state: 'progressing',
      counts,
      message: `waiting for ${desired - counts.availableReplicas} of ${desired} ${plural(desired, 'replica')} to become available`,
    };
  }

  return {
    state: 'complete',
    counts,
    message:
      desired === 0
        ? `Deployment ${name} is scaled to 0 replicas`
        : `${counts.availableReplicas} of ${desired} ${plural(desired, 'replica')} available`,
  };
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

/**
 * A rollout that waits on pods says so when the WAL claim they mount is not bound yet: that is
 * then the reason, and the claim is where to look.
 */
export function withClaimHint(rollout: Rollout, claim: KubeObject | undefined): Rollout {
  if (rollout.state !== 'progressing' || !claim) return rollout;
  const phase = (claim.status as { phase?: string } | undefined)?.phase;
  if (phase === undefined || phase === 'Bound') return rollout;

  const name = claim.metadata.name ?? '';
  return {
    ...rollout,
    message:
      `${rollout.message}: PersistentVolumeClaim ${name} is ${phase}, so the pods cannot be scheduled ` +
      `(kubectl describe pvc ${name}; is there a storage class or a volume for it?)`,
  };
}
