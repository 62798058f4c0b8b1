/**
 * The two CustomResourceDefinitions: names, printer columns, the status subresource, and the
 * structural schemas that `structural.ts` derives from the zod sources.
 */
import { stringify } from 'yaml';
import { FRACTALLBA, GROUP, SIGNINGKEY, VERSION } from './constants.ts';
import { celRulesOf, type CelRule } from './cel.ts';
import { toStructuralSchema, type JsonSchema } from './structural.ts';
import { FractalLBASpecSchema } from './fractallba-spec.ts';
import { FRACTALLBA_RULES, FRACTALLBA_TRANSITION_RULES } from './fractallba-rules.ts';
import { FRACTALLBA_NAME_RULE, FractalLBAStatusSchema } from './fractallba.ts';
import {
  SIGNINGKEY_RULES,
  SIGNINGKEY_TRANSITION_RULES,
  SigningKeySpecSchema,
  SigningKeyStatusSchema,
} from './signingkey.ts';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date';
  jsonPath: string;
  description: string;
  priority?: number;
}

const READY_COLUMN: PrinterColumn = {
  name: 'Ready',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
  description: 'Status of the Ready condition.',
};
const AGE_COLUMN: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since creation.',
};
const REASON_COLUMN: PrinterColumn = {
  name: 'Reason',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
  description: 'Reason of the Ready condition.',
  priority: 1,
};

interface CrdOptions {
  names: typeof FRACTALLBA | typeof SIGNINGKEY;
  description: string;
  spec: JsonSchema;
  specRules: CelRule[];
  status: JsonSchema;
  columns: PrinterColumn[];
  /** Rules on the whole object (they may read metadata.name). */
  rootRules?: CelRule[];
}

function crd(o: CrdOptions): JsonSchema {
  const spec = { ...o.spec };
  const rules = [...((spec['x-kubernetes-validations'] as CelRule[]) ?? []), ...o.specRules];
  if (rules.length > 0) spec['x-kubernetes-validations'] = rules;

  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${o.names.plural}.${GROUP}`,
      annotations: {
        // Argo CD applies CRDs before the resources that use them, server-side (the schema is too
        // large for the last-applied annotation of client-side apply).
        'argocd.argoproj.io/sync-wave': '-10',
        'argocd.argoproj.io/sync-options': 'ServerSideApply=true',
      },
      labels: { 'app.kubernetes.io/name': 'flk-operator', 'app.kubernetes.io/part-of': 'flk' },
    },
    spec: {
      group: GROUP,
      names: {
        kind: o.names.kind,
        listKind: o.names.listKind,
        plural: o.names.plural,
        singular: o.names.singular,
        shortNames: [...o.names.shortNames],
        categories: ['fractal-lba'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: o.columns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: o.description,
              required: ['spec'],
              ...(o.rootRules && { 'x-kubernetes-validations': o.rootRules }),
              properties: {
                apiVersion: { type: 'string', description: 'API version of this object.' },
                kind: { type: 'string', description: 'Kind of this object.' },
                metadata: { type: 'object' },
                spec,
                status: o.status,
              },
            },
          },
        },
      ],
    },
  };
}

export function fractalLBACrd(): JsonSchema {
  return crd({
    names: FRACTALLBA,
    description:
      'A FLK ingest backend: the operator renders and keeps converged its Deployment, Service, ' +
      'HPA, PDB, NetworkPolicy, WAL volume, compaction CronJob, ConfigMap, ServiceAccount and ' +
      'optional Ingress, ServiceMonitor and PrometheusRule.',
    spec: toStructuralSchema(FractalLBASpecSchema),
    specRules: celRulesOf(FRACTALLBA_RULES, FRACTALLBA_TRANSITION_RULES),
    rootRules: [FRACTALLBA_NAME_RULE],
    status: toStructuralSchema(FractalLBAStatusSchema),
    columns: [
      READY_COLUMN,
      {
        name: 'Replicas',
        type: 'integer',
        jsonPath: '.status.replicas',
        description: 'Backend pods that exist.',
      },
      {
        name: 'Keys',
        type: 'string',
        jsonPath: '.status.keyIds',
        description: 'Key ids the backend verifies with.',
      },
      AGE_COLUMN,
      {
        name: 'Available',
        type: 'integer',
        jsonPath: '.status.availableReplicas',
        description: 'Backend pods available.',
        priority: 1,
      },
      {
        name: 'URL',
        type: 'string',
        jsonPath: '.status.serviceURL',
        description: 'In-cluster URL of the ingest Service.',
        priority: 1,
      },
      REASON_COLUMN,
    ],
  });
}

export function signingKeyCrd(): JsonSchema {
  return crd({
    names: SIGNINGKEY,
    description:
      'A rotated signing key for PCS records. The operator writes a signer Secret (the active ' +
      'key, for agents) and a verifier Secret (every key inside its window, for backends).',
    spec: toStructuralSchema(SigningKeySpecSchema),
    specRules: celRulesOf(SIGNINGKEY_RULES, SIGNINGKEY_TRANSITION_RULES),
    status: toStructuralSchema(SigningKeyStatusSchema),
    columns: [
      {
        name: 'Active key',
        type: 'string',
        jsonPath: '.status.activeKeyId',
        description: 'kid of the key agents sign with.',
      },
      {
        // A string, not a date: kubectl prints a future date column as <invalid>.
        name: 'Next rotation',
        type: 'string',
        jsonPath: '.status.nextRotationTime',
        description: 'When the next rotation starts.',
      },
      READY_COLUMN,
      AGE_COLUMN,
      {
        name: 'Algorithm',
        type: 'string',
        jsonPath: '.spec.algorithm',
        description: 'Key algorithm.',
        priority: 1,
      },
      REASON_COLUMN,
    ],
  });
}

/** Every CRD with the file name it is checked in under `crds/`. */
export function crdFiles(): { file: string; yaml: string }[] {
  return [fractalLBACrd(), signingKeyCrd()].map((object) => {
    const name = (object.metadata as { name: string }).name;
    const [plural, ...group] = name.split('.');
    return { file: `${group.join('.')}_${plural}.yaml`, yaml: crdYaml(object) };
  });
}

export function crdYaml(object: JsonSchema): string {
  return (
    '# Generated by `npx tsx crds/generate.ts` from operator/api/. Do not edit by hand.\n' +
    stringify(object, { lineWidth: 0 })
  );
}
