/**
 * The WAL PersistentVolumeClaim. From the generated `k8s` imports: cdk8s-plus's claim takes its
 * size as a `Size` object, and we pass the user's quantity string through unchanged.
 *
 * With `spec.wal.retainOnDelete` the claim carries no owner reference, so garbage collection
 * leaves it when the FractalLBA goes; the operator holds the `flk.fractal-lba.io/retain-wal`
 * finalizer meanwhile, to detach a claim that was still owned when a delete raced a spec change.
 */
import { k8s } from 'cdk8s-plus-34';
import { COMPONENTS, SUFFIX, childMetadata } from './metadata.ts';
import { synth } from './synth.ts';
import type { KubeManifest, RenderInput } from './types.ts';

export function renderWalPvc(input: RenderInput): KubeManifest[] {
  const { wal } = input.spec;
  return synth(input.flk.namespace, (chart) => {
    new k8s.KubePersistentVolumeClaim(chart, 'wal', {
      metadata: childMetadata(input, {
        suffix: SUFFIX.wal,
        component: COMPONENTS.wal,
        owned: !wal.retainOnDelete,
      }),
      spec: {
        accessModes: [wal.accessMode],
        resources: { requests: { storage: k8s.Quantity.fromString(wal.size) } },
        ...(wal.storageClassName !== undefined && { storageClassName: wal.storageClassName }),
        volumeMode: 'Filesystem',
      },
    });
  });
}
