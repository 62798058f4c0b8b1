/**
 * NetworkPolicy on the backend pods (ingress only). From the generated `k8s` imports: the peers
 * are user-written label selectors, which map one to one onto the API's NetworkPolicyPeer,
 * while cdk8s-plus models peers as constructs.
 */
import { k8s } from 'cdk8s-plus-34';
import type { LabelSelector } from '../operator/api/common.ts';
import { BACKEND, OPERATOR_POD_LABELS } from '../operator/api/constants.ts';
import type { ResolvedFractalLBASpec } from '../operator/api/fractallba.ts';
import { COMPONENTS, childMetadata, selectorLabels } from './metadata.ts';
import { synth } from './synth.ts';
import { ingestPort } from './tls.ts';
import type { KubeManifest, RenderInput } from './types.ts';

type Peer = ResolvedFractalLBASpec['networkPolicy']['ingestFrom'][number];

function selector(s: LabelSelector): k8s.LabelSelector {
  return {
    ...(s.matchLabels && { matchLabels: s.matchLabels }),
    ...(s.matchExpressions && { matchExpressions: s.matchExpressions }),
  };
}

function peer(p: Peer): k8s.NetworkPolicyPeer {
  return {
    ...(p.namespaceSelector && { namespaceSelector: selector(p.namespaceSelector) }),
    ...(p.podSelector && { podSelector: selector(p.podSelector) }),
  };
}

const tcp = (port: number): k8s.NetworkPolicyPort => ({
  port: k8s.IntOrString.fromNumber(port),
  protocol: 'TCP',
});

/**
 * Ingest peers reach the ingest port only; metrics peers and the operator reach the admin port
 * only. Kubelet's probes come from the node and are not subject to the policy.
 */
export function ingressRules(input: RenderInput): k8s.NetworkPolicyIngressRule[] {
  const { ingestFrom, metricsFrom } = input.spec.networkPolicy;
  const ingestPorts = [tcp(ingestPort(input).containerPort)];
  const adminPorts = [tcp(BACKEND.adminPort)];
  // Default: the same namespace (an empty podSelector in a peer means every pod of this namespace).
  const ingest = ingestFrom.length > 0 ? ingestFrom.map(peer) : [{ podSelector: {} }];
  const rules: k8s.NetworkPolicyIngressRule[] = [{ from: ingest, ports: ingestPorts }];

  if (metricsFrom.length > 0) rules.push({ from: metricsFrom.map(peer), ports: adminPorts });
  if (input.operatorNamespace) {
    rules.push({
      from: [
        {
          namespaceSelector: {
            matchLabels: { 'kubernetes.io/metadata.name': input.operatorNamespace },
          },
          podSelector: { matchLabels: { ...OPERATOR_POD_LABELS } },
        },
      ],
      ports: adminPorts,
    });
  }
  return rules;
}

export function renderNetworkPolicy(input: RenderInput): KubeManifest[] {
  return synth(input.flk.namespace, (chart) => {
    new k8s.KubeNetworkPolicy(chart, 'network-policy', {
      metadata: childMetadata(input, { component: COMPONENTS.backend }),
      spec: {
        podSelector: { matchLabels: selectorLabels(input) },
        policyTypes: ['Ingress'],
        ingress: ingressRules(input),
      },
    });
  });
}
