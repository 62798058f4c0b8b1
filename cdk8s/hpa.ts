/**
 * HorizontalPodAutoscaler (autoscaling/v2) on CPU and, when set, memory. From the generated
 * `k8s` imports: cdk8s-plus's HPA needs the Deployment construct in its own scope (we render
 * each child alone) and writes scaling `behavior` defaults of its own.
 */
import { k8s } from 'cdk8s-plus-34';
import { COMPONENTS, childMetadata, childName } from './metadata.ts';
import { synth } from './synth.ts';
import type { KubeManifest, RenderInput } from './types.ts';

function utilization(name: 'cpu' | 'memory', averageUtilization: number): k8s.MetricSpecV2 {
  return {
    type: 'Resource',
    resource: { name, target: { type: 'Utilization', averageUtilization } },
  };
}

export function renderHpa(input: RenderInput): KubeManifest[] {
  const a = input.spec.autoscaling;
  const metrics = [utilization('cpu', a.targetCPUUtilization)];
  if (a.targetMemoryUtilization !== undefined) {
    metrics.push(utilization('memory', a.targetMemoryUtilization));
  }

  return synth(input.flk.namespace, (chart) => {
    new k8s.KubeHorizontalPodAutoscalerV2(chart, 'hpa', {
      metadata: childMetadata(input, { component: COMPONENTS.backend }),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: childName(input) },
        minReplicas: a.minReplicas,
        maxReplicas: a.maxReplicas,
        metrics,
      },
    });
  });
}
