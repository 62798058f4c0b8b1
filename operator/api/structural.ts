/**
 * zod → Kubernetes structural schema: zod's own JSON Schema export, then one pass that removes
 * what a CRD must not carry (defaults, `$schema`, `additionalProperties: false`, `propertyNames`),
 * turns an int|string union into int-or-string, and writes each default into the field's
 * description. The pass refuses a field without a description, so `kubectl explain` never
 * shows a blank.
 */
import { z } from 'zod';

export type JsonSchema = { [key: string]: unknown };

/** Converts one zod schema to a structural OpenAPI v3 schema (see the module comment). */
export function toStructuralSchema(schema: z.ZodType): JsonSchema {
  const raw = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' }) as JsonSchema;
  delete raw.$schema;
  return structural(raw, 'spec');
}

function structural(node: JsonSchema, path: string): JsonSchema {
  const out: JsonSchema = { ...node };
  const fallback = out.default;
  delete out.default;
  delete out.propertyNames;
  if (out.additionalProperties === false) delete out.additionalProperties;
  if (out.type === 'integer') dropSafeIntegerBounds(out);

  const anyOf = out.anyOf as JsonSchema[] | undefined;
  if (anyOf) {
    const types = anyOf.map((branch) => branch.type).sort();
    if (types.join() !== 'integer,string') {
      throw new Error(`${path}: only int|string unions map onto a structural schema`);
    }
    const text = anyOf.find((branch) => branch.type === 'string') ?? {};
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
    out['x-kubernetes-int-or-string'] = true;
    if (text.pattern) out.pattern = text.pattern;
    if (text.maxLength) out.maxLength = text.maxLength;
  } else if (typeof out.type !== 'string') {
    throw new Error(`${path}: every node of a structural schema needs a type`);
  }

  if (out.properties) {
    const props = out.properties as Record<string, JsonSchema>;
    out.properties = Object.fromEntries(
      Object.entries(props).map(([name, child]) => {
        const childPath = `${path}.${name}`;
        if (typeof child.description !== 'string' || child.description.length === 0) {
          throw new Error(`${childPath}: has no description (it becomes kubectl explain text)`);
        }
        return [name, structural(child, childPath)];
      }),
    );
  }
  if (out.items) out.items = structural(out.items as JsonSchema, `${path}[]`);
  if (typeof out.additionalProperties === 'object') {
    out.additionalProperties = structural(out.additionalProperties as JsonSchema, `${path}{}`);
  }
  if (typeof out.description === 'string') out.description = withDefault(out.description, fallback);
  return out;
}

function dropSafeIntegerBounds(node: JsonSchema): void {
  if (node.minimum === Number.MIN_SAFE_INTEGER) delete node.minimum;
  if (node.maximum === Number.MAX_SAFE_INTEGER) delete node.maximum;
}

/** Appends `Default: x.` unless the text already states the default or it is an empty object. */
function withDefault(description: string, fallback: unknown): string {
  if (fallback === undefined || /Default/.test(description)) return description;
  if (typeof fallback === 'object') return description;
  return `${description} Default: ${String(fallback)}.`;
}
