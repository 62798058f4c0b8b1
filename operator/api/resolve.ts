/** Resolving a resource: validation and defaults of its spec, every error at once. */
import type { z } from 'zod';
import type { CrossFieldRule } from './cel.ts';

/** Turns zod issues into `spec.a.b[0].c: message` lines. */
export function formatIssues(error: z.ZodError, root: string): string[] {
  return error.issues.map((issue) => `${fieldPath(root, issue.path)}: ${issue.message}`);
}

export function fieldPath(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : `${acc}.${String(part)}`),
    root,
  );
}

/** The outcome of resolving a resource: its spec with every default applied, or every error. */
export type Resolved<T> = { ok: true; spec: T } | { ok: false; errors: string[] };

/** Resolves `resource.spec` against a schema, then the cross-field rules on the result. */
export function resolveWith<S>(
  resource: unknown,
  schema: z.ZodType<S>,
  rules: readonly CrossFieldRule<S>[],
): Resolved<S> {
  const spec =
    typeof resource === 'object' && resource !== null
      ? (resource as { spec?: unknown }).spec
      : undefined;
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    return { ok: false, errors: ['spec: required; the resource must have a spec object'] };
  }

  const parsed = schema.safeParse(spec);
  if (!parsed.success) return { ok: false, errors: formatIssues(parsed.error, 'spec') };

  const errors = rules
    .filter((rule) => !rule.holds(parsed.data))
    .map((rule) => `spec.${rule.field}: ${rule.message}`);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, spec: parsed.data };
}
