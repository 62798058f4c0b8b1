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

const HTTP_PORT: k8s.NetworkPolicyPort = {
  port: k8s.IntOrString.fromNumber(BACKEND.port),
  protocol: 'TCP',
};

export function ingressRules(input: RenderInput): k8s.NetworkPolicyIngressRule[] {
  const { ingestFrom, metricsFrom } = input.spec.networkPolicy;
  // Default: the same namespace (an empty podSelector in a peer means every pod of this namespace).
  const ingest = ingestFrom.length > 0 ? ingestFrom.map(peer) : [{ podSelector: {} }];
  const rules: k8s.NetworkPolicyIngressRule[] = [{ from: ingest, ports: [HTTP_PORT] }];

  if (metricsFrom.length > 0) rules.push({ from: metricsFrom.map(peer), ports: [HTTP_PORT] });
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
      ports: [HTTP_PORT],
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
