/**
 * CEL for the CRDs: the rule type, helpers that write CEL applying the operator's defaults, and
 * the table type that keeps each cross-field rule's CEL and TypeScript forms side by side.
 */
import type { z } from 'zod';

/** One CEL rule as the CRD carries it. `rule` must be true for a valid object. */
export interface CelRule {
  rule: string;
  message: string;
  /** Where the API server reports the failure, relative to the node holding the rule. */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired';
}

/** Adds CRD-only schema keywords (CEL rules, list types, bounds zod cannot express) to a node. */
export function crdMeta<T extends z.ZodType>(schema: T, extra: Record<string, unknown>): T {
  const existing = schema.meta() ?? {};
  const rules = [
    ...((existing['x-kubernetes-validations'] as CelRule[] | undefined) ?? []),
    ...((extra['x-kubernetes-validations'] as CelRule[] | undefined) ?? []),
  ];
  const merged: Record<string, unknown> = { ...existing, ...extra };
  if (rules.length > 0) merged['x-kubernetes-validations'] = rules;
  return schema.meta(merged) as T;
}

/** Formats a literal for CEL source. */
export function celLiteral(value: string | number | boolean): string {
  return typeof value === 'string'
    ? `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
    : String(value);
}

/**
 * CEL for "the value at `path` under `root`, or `fallback` when it is unset". The fallback is the
 * operator's default: the CRD has no `default` keywords (Argo CD would see server-filled defaults
 * as drift), so a rule that depends on a defaulted field must apply the default itself.
 */
export function celOr(path: string, fallback: string | number | boolean, root = 'self'): string {
  return `(${celHas(path, root)} ? ${root}.${path} : ${celLiteral(fallback)})`;
}

/** CEL for "every field along `path` is set" (has() on `a.b.c` errors when `a.b` is unset). */
export function celHas(path: string, root = 'self'): string {
  const parts = path.split('.');
  const checks = parts.map((_, i) => `has(${root}.${parts.slice(0, i + 1).join('.')})`);
  return checks.length === 1 ? checks[0]! : `(${checks.join(' && ')})`;
}

/** A rule across fields, checked by the operator and, as CEL, by the API server. */
export interface CrossFieldRule<S> {
  /** Field the error is reported on, relative to `spec`. */
  field: string;
  message: string;
  /** CEL with `self` = spec; true when valid. Applies the operator's defaults inline. */
  cel: string;
  /** The same rule on the resolved spec; true when valid. */
  holds: (spec: S) => boolean;
}

/** Rules only the API server can check: they compare the new spec with the old (`oldSelf`). */
export interface TransitionRule {
  field: string;
  message: string;
  cel: string;
}

export function celRulesOf(
  rules: readonly CrossFieldRule<never>[],
  transitions: readonly TransitionRule[],
): CelRule[] {
  return [...rules, ...transitions].map((r) => ({
    rule: r.cel,
    message: r.message,
    fieldPath: `.${r.field}`,
    reason: 'FieldValueInvalid' as const,
  }));
}
