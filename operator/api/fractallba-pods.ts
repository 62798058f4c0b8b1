/** FractalLBA spec sections about the backend pods: scaling, resources, disruption, spread. */
import { z } from 'zod';
import { quantity } from './common.ts';
import { FLK_DEFAULTS as D } from './fractallba-defaults.ts';

export const replicaCount = (description: string, min = 0) =>
  z.int().min(min).max(1000).describe(description);
const percent = (description: string) => z.int().min(1).max(1000).describe(description);
export const Autoscaling = z
  .object({
    enabled: z
      .boolean()
      .default(D.autoscaling.enabled)
      .describe(
        'Run a HorizontalPodAutoscaler. When true, spec.replicas is ignored and the Deployment carries no replicas field (the HPA owns it).',
      ),
    minReplicas: replicaCount('Fewest pods the HPA keeps.', 1).default(D.autoscaling.minReplicas),
    maxReplicas: replicaCount('Most pods the HPA starts. Must be at least minReplicas.', 1).default(
      D.autoscaling.maxReplicas,
    ),
    targetCPUUtilization: percent(
      'Average CPU use the HPA aims for, in percent of the CPU request.',
    ).default(D.autoscaling.targetCPUUtilization),
    targetMemoryUtilization: percent(
      'Average memory use the HPA aims for, in percent of the memory request. Unset: memory is not a scaling signal (a Node.js heap rarely shrinks, so a memory target tends to scale up and never back down).',
    ).optional(),
  })
  .describe(
    'Horizontal autoscaling of the backend pods (autoscaling/v2, CPU and optionally memory).',
  );

const ResourceList = (what: string) =>
  z
    .object({
      cpu: quantity(`CPU ${what}, in cores or millicores (e.g. 250m, 1).`).optional(),
      memory: quantity(`Memory ${what}, in bytes with a suffix (e.g. 256Mi, 1Gi).`).optional(),
    })
    .describe(`Resource ${what} of the backend container.`);

export const Resources = z
  .object({
    requests: ResourceList('requests')
      .default(() => ({ ...D.resources.requests }))
      .describe(
        `What the scheduler reserves per pod. Default: cpu ${D.resources.requests.cpu}, memory ${D.resources.requests.memory}.`,
      ),
    limits: ResourceList('limits')
      .default(() => ({ ...D.resources.limits }))
      .describe(
        `Hard caps per pod. Default: memory ${D.resources.limits.memory}, no CPU limit (a CPU limit throttles the ingest under bursts).`,
      ),
  })
  .describe(
    'Compute resources of the backend container. A section that is set replaces its default as a whole.',
  );

export const Pdb = z
  .object({
    enabled: z.boolean().default(D.pdb.enabled).describe('Render a PodDisruptionBudget.'),
    minAvailable: z
      .union([z.int().min(0), z.string().regex(/^[0-9]{1,3}%$/)])
      .optional()
      .describe(
        'Pods (count or percent such as 50%) that must stay up during voluntary disruptions. Set this or maxUnavailable, not both.',
      ),
    maxUnavailable: z
      .union([z.int().min(0), z.string().regex(/^[0-9]{1,3}%$/)])
      .optional()
      .describe(
        `Pods (count or percent) that may be down during voluntary disruptions. Default: ${D.pdb.maxUnavailable} when minAvailable is unset. Set this or minAvailable, not both.`,
      ),
  })
  .describe('PodDisruptionBudget of the backend pods; unhealthy pods may always be evicted.')
  .transform((pdb) =>
    pdb.minAvailable === undefined && pdb.maxUnavailable === undefined
      ? { ...pdb, maxUnavailable: D.pdb.maxUnavailable }
      : pdb,
  );

export const TopologySpread = z
  .object({
    zones: z
      .boolean()
      .default(D.topologySpread.zones)
      .describe(
        'Also spread pods across zones (topology.kubernetes.io/zone), best effort. Pods are always spread across nodes, best effort.',
      ),
  })
  .describe('Topology spread constraints of the backend pods (whenUnsatisfiable: ScheduleAnyway).');
