/** FractalLBA spec sections about reaching and watching the backend: metrics, Ingress, network. */
import { z } from 'zod';
import { crdMeta } from './cel.ts';
import { duration, labelSelector, objectName, stringMap } from './common.ts';
import { FLK_DEFAULTS as D } from './fractallba-defaults.ts';
import { IssuerRef } from './fractallba-tls.ts';

export const Metrics = z
  .object({
    basicAuthSecretRef: z
      .object({
        name: objectName(
          'Name of the Secret (same namespace) with data keys `username` and `password`.',
        ),
      })
      .optional()
      .describe(
        'Protect /metrics with HTTP Basic Auth from this Secret. Unset: /metrics is open to whoever the network policy lets in.',
      ),
    serviceMonitor: z
      .object({
        enabled: z
          .boolean()
          .default(D.serviceMonitor.enabled)
          .describe('Render a Prometheus Operator ServiceMonitor (its CRD must be installed).'),
        interval: duration('Scrape interval.', { positive: true }).default(
          D.serviceMonitor.interval,
        ),
        labels: stringMap(
          'Extra labels on the ServiceMonitor, e.g. the one your Prometheus selects on (release: kube-prometheus-stack). Default: none.',
          16,
          63,
        ).optional(),
      })
      .prefault({})
      .describe('Prometheus Operator scrape configuration.'),
    prometheusRule: z
      .object({
        enabled: z
          .boolean()
          .default(D.prometheusRule.enabled)
          .describe(
            'Render a Prometheus Operator PrometheusRule with the backend alerts (its CRD must be installed).',
          ),
        labels: stringMap(
          'Extra labels on the PrometheusRule, e.g. the one your Prometheus selects on. Default: none.',
          16,
          63,
        ).optional(),
      })
      .prefault({})
      .describe('Alerting rules for the backend.'),
  })
  .describe('Metrics exposure of the backend.');

export const Ingress = z
  .object({
    enabled: z
      .boolean()
      .default(D.ingress.enabled)
      .describe(
        'Render an Ingress for the ingest API. Only the /v1/pcs prefix is routed, never /metrics or the probes.',
      ),
    host: z
      .string()
      .max(253)
      .regex(/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
        error: 'must be a DNS host name such as flk.example.com',
      })
      .optional()
      .describe(
        'Host name the Ingress answers for. Unset: every host. Required when tlsSecretName or issuerRef is set.',
      ),
    className: objectName('IngressClass to use; unset uses the cluster default class.').optional(),
    tlsSecretName: objectName(
      'Secret (type kubernetes.io/tls, same namespace) with the certificate for host. Unset: no TLS at the Ingress.',
    ).optional(),
    issuerRef: IssuerRef.optional().describe(
      'Have cert-manager issue the edge certificate for host (its ingress-shim reads the annotations this renders). The certificate goes into tlsSecretName, or <name>-ingress-tls when that is unset. Requires host.',
    ),
    backendClientCertSecretName: objectName(
      'Secret (kubernetes.io/tls, same namespace) with the client certificate the Ingress controller presents to the backend when spec.tls.clientCA requires one (ingress-nginx proxy-ssl-secret). Its CA must be in the client CA bundle.',
    ).optional(),
    annotations: stringMap(
      'Annotations for the Ingress controller (e.g. nginx.ingress.kubernetes.io/proxy-body-size); they win over the ones the operator renders for TLS. Default: none.',
      32,
      4096,
    ).optional(),
  })
  .describe('Optional Ingress in front of the Service.');

const PEER_MESSAGE =
  'set namespaceSelector, podSelector or both; an empty peer would allow nothing';
const Peer = crdMeta(
  z
    .object({
      namespaceSelector: labelSelector(
        'Namespaces the peer pods may run in. Alone: every pod in those namespaces.',
      ).optional(),
      podSelector: labelSelector(
        'Pods allowed. Alone: pods in the FractalLBA namespace only; with namespaceSelector: those pods in those namespaces.',
      ).optional(),
    })
    .refine((p) => p.namespaceSelector !== undefined || p.podSelector !== undefined, {
      error: PEER_MESSAGE,
    })
    .describe(
      'A NetworkPolicy peer: namespaceSelector, podSelector, or both (meaning pods matching both).',
    ),
  {
    'x-kubernetes-validations': [
      { rule: 'has(self.namespaceSelector) || has(self.podSelector)', message: PEER_MESSAGE },
    ],
  },
);

export const NetworkPolicy = z
  .object({
    enabled: z
      .boolean()
      .default(D.networkPolicy.enabled)
      .describe('Render a NetworkPolicy that admits only the peers below to the backend port.'),
    ingestFrom: z
      .array(Peer)
      .max(16)
      .default([])
      .describe(
        'Who may reach the ingest port (8080, or 8443 with spec.tls). Default (empty): pods in the same namespace. An Ingress controller in another namespace must be listed here.',
      ),
    metricsFrom: z
      .array(Peer)
      .max(16)
      .default([])
      .describe(
        'Who may scrape /metrics on the admin port (9090, plain HTTP: health, readiness and metrics only), e.g. the monitoring namespace; protect it with metrics.basicAuthSecretRef. Default: empty.',
      ),
  })
  .describe('Ingress network policy of the backend pods (egress is not restricted).');
