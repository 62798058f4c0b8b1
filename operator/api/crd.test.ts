import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fractalLBACrd, signingKeyCrd } from './crd.ts';
import { toStructuralSchema } from './structural.ts';
import { FRACTALLBA_RULES, FRACTALLBA_TRANSITION_RULES } from './fractallba.ts';
import { SIGNINGKEY_RULES } from './signingkey.ts';

type Node = Record<string, unknown>;

function version(crd: Node): Node {
  return ((crd.spec as Node).versions as Node[])[0]!;
}
function specSchema(crd: Node): Node {
  const root = (version(crd).schema as Node).openAPIV3Schema as Node;
  return (root.properties as Record<string, Node>).spec!;
}

/** Every node under a schema, with its path. */
function* walk(node: Node, path: string): Generator<[string, Node]> {
  yield [path, node];
  for (const [name, child] of Object.entries((node.properties as Record<string, Node>) ?? {})) {
    yield* walk(child, `${path}.${name}`);
  }
  if (node.items) yield* walk(node.items as Node, `${path}[]`);
  if (typeof node.additionalProperties === 'object') {
    yield* walk(node.additionalProperties as Node, `${path}{}`);
  }
}

describe.each([
  ['FractalLBA', fractalLBACrd()],
  ['SigningKey', signingKeyCrd()],
])('%s CRD', (_kind, crd) => {
  const root = (version(crd).schema as Node).openAPIV3Schema as Node;

  it('is structural: a type on every node, int-or-string only where marked', () => {
    for (const [path, node] of walk(root, '')) {
      if (node['x-kubernetes-int-or-string']) continue;
      expect(typeof node.type, path).toBe('string');
      expect(node.anyOf, path).toBeUndefined();
    }
  });

  it('carries no defaults (the operator applies them; Argo CD would see them as drift)', () => {
    for (const [path, node] of walk(root, '')) expect(node.default, path).toBeUndefined();
  });

  it('describes every field of spec and status', () => {
    for (const part of ['spec', 'status']) {
      const schema = (root.properties as Record<string, Node>)[part]!;
      for (const [path, node] of walk(schema, part)) {
        if (path.endsWith('[]') || path.endsWith('{}')) continue;
        expect(node.description, path).toMatch(/\S/);
      }
    }
  });

  it('bounds every string and list, so CEL stays within the cost budget', () => {
    const props = root.properties as Record<string, Node>;
    for (const [path, node] of [...walk(props.spec!, 'spec'), ...walk(props.status!, 'status')]) {
      if (node.type === 'string' && !node.enum) expect(node.maxLength, path).toBeTypeOf('number');
      if (node.type === 'array') expect(node.maxItems, path).toBeTypeOf('number');
    }
  });

  it('has the status subresource', () => {
    expect(version(crd).subresources).toEqual({ status: {} });
  });
});

describe('FractalLBA CRD', () => {
  it('names the short name flk and the printer columns Ready, Replicas, Keys, Age', () => {
    const crd = fractalLBACrd();
    expect((crd.spec as Node).names).toMatchObject({ plural: 'fractallbas', shortNames: ['flk'] });
    const columns = version(crd).additionalPrinterColumns as Node[];
    expect(columns.filter((c) => !c.priority).map((c) => c.name)).toEqual([
      'Ready',
      'Replicas',
      'Keys',
      'Age',
    ]);
  });

  it('carries every cross-field rule as CEL with the operator message', () => {
    const rules = specSchema(fractalLBACrd())['x-kubernetes-validations'] as Node[];
    const all = [...FRACTALLBA_RULES, ...FRACTALLBA_TRANSITION_RULES];
    expect(rules.map((r) => r.message)).toEqual(all.map((r) => r.message));
    expect(rules.map((r) => r.fieldPath)).toEqual(all.map((r) => `.${r.field}`));
  });

  it('states each default in the field description', () => {
    const props = specSchema(fractalLBACrd()).properties as Record<string, Node>;
    const dedup = (props.dedup!.properties as Record<string, Node>).ttl!;
    expect(dedup.description).toContain('Default: 14d.');
  });
});

describe('SigningKey CRD', () => {
  it('names the short name sk and the printer columns Active key, Next rotation, Ready, Age', () => {
    const crd = signingKeyCrd();
    expect((crd.spec as Node).names).toMatchObject({ plural: 'signingkeys', shortNames: ['sk'] });
    const columns = version(crd).additionalPrinterColumns as Node[];
    expect(columns.filter((c) => !c.priority).map((c) => c.name)).toEqual([
      'Active key',
      'Next rotation',
      'Ready',
      'Age',
    ]);
  });

  it('carries every cross-field rule and keeps the algorithm immutable', () => {
    const spec = specSchema(signingKeyCrd());
    const rules = spec['x-kubernetes-validations'] as Node[];
    expect(rules.map((r) => r.message)).toEqual(SIGNINGKEY_RULES.map((r) => r.message));
    const algorithm = (spec.properties as Record<string, Node>).algorithm!;
    expect(algorithm['x-kubernetes-validations']).toEqual([
      expect.objectContaining({ rule: 'self == oldSelf' }),
    ]);
  });
});

describe('toStructuralSchema', () => {
  it('refuses a field without a description', () => {
    expect(() => toStructuralSchema(z.object({ bare: z.string() }))).toThrow(
      /spec\.bare: has no description/,
    );
  });

  it('refuses a union it cannot express structurally', () => {
    const schema = z.object({ u: z.union([z.string(), z.boolean()]).describe('u') });
    expect(() => toStructuralSchema(schema)).toThrow(
      /only int\|string unions|structural schema needs a type/,
    );
  });
});
