import type { FieldsV1, KubeObject, ManagedFieldsEntry } from './types.ts';

/**
 * Which fields of `desired` the field manager does not own on the live object.
 *
 * The API server records, per manager, the set of fields it owns (`metadata.managedFields`, in the
 * FieldsV1 trie: `f:<field>` for a member, `k:<json>` for an element of a keyed list, `v:<json>`
 * for an element of a set, `.` for the node itself). When anyone else changes one of our fields,
 * through an update, a patch or a forced apply, the server moves that field to them; when anyone
 * removes it, it leaves our set. So "every field we send is still in our set" means nobody has
 * touched what we manage since our last apply — without comparing values, which the server may
 * normalise (quantities, defaults) and which a webhook may legitimately rewrite.
 *
 * The walk needs no schema: objects descend by member name; list elements are found by the key
 * the server chose (an object element matches a `k:` entry whose fields it carries with the same
 * values; a scalar element matches its `v:` entry). A node the server records as a leaf (`{}`) is
 * owned whole (an atomic list or map), so nothing below it is checked.
 */
export function unownedFields(desired: KubeObject, owned: FieldsV1 | undefined): string[] {
  const missing: string[] = [];
  if (!owned) return ['(no fields owned)'];

  for (const [key, value] of Object.entries(desired)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'status') continue;
    if (key === 'metadata') {
      walkMetadata(value as Record<string, unknown>, owned['f:metadata'], missing);
      continue;
    }
    walkMember(key, value, owned, key, missing);
  }
  return missing;
}

/** The field set of `manager`'s apply on the object itself (not on a subresource). */
export function appliedFieldsOf(live: KubeObject, manager: string): FieldsV1 | undefined {
  const entries: ManagedFieldsEntry[] = live.metadata.managedFields ?? [];
  const entry = entries.find(
    (e) => e.manager === manager && e.operation === 'Apply' && !e.subresource,
  );
  return entry?.fieldsV1;
}

function walkMetadata(
  meta: Record<string, unknown>,
  owned: FieldsV1 | undefined,
  missing: string[],
) {
  for (const [key, value] of Object.entries(meta)) {
    // Identity, not content: the server does not track these as owned fields.
    if (key === 'name' || key === 'namespace' || key === 'uid' || key === 'resourceVersion')
      continue;
    if (!owned) {
      if (value !== undefined && value !== null) missing.push(`metadata.${key}`);
      continue;
    }
    walkMember(key, value, owned, `metadata.${key}`, missing);
  }
}

function walkMember(
  key: string,
  value: unknown,
  parent: FieldsV1,
  path: string,
  missing: string[],
) {
  if (value === undefined || value === null) return;
  const node = parent[`f:${key}`];
  if (!node) {
    missing.push(path);
    return;
  }
  walkValue(value, node, path, missing);
}

function walkValue(value: unknown, node: FieldsV1, path: string, missing: string[]): void {
  if (isLeaf(node)) return;

  if (Array.isArray(value)) {
    value.forEach((element, i) => walkElement(element, node, `${path}[${i}]`, missing));
    return;
  }
  if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      walkMember(key, child, node, `${path}.${key}`, missing);
    }
  }
}

function walkElement(element: unknown, listNode: FieldsV1, path: string, missing: string[]): void {
  if (element === undefined || element === null) return;

  if (!isObject(element)) {
    if (!listNode[`v:${JSON.stringify(element)}`]) missing.push(path);
    return;
  }

  const keyed = findKeyedEntry(element, listNode);
  if (!keyed) {
    missing.push(path);
    return;
  }
  walkValue(element, keyed, path, missing);
}

/** The `k:{...}` entry whose key fields `element` carries with the same values. */
function findKeyedEntry(
  element: Record<string, unknown>,
  listNode: FieldsV1,
): FieldsV1 | undefined {
  for (const [pathElement, child] of Object.entries(listNode)) {
    if (!pathElement.startsWith('k:')) continue;

    let key: Record<string, unknown>;
    try {
      key = JSON.parse(pathElement.slice(2)) as Record<string, unknown>;
    } catch {
      continue;
    }
    // A key field the element leaves out was filled in by the server (a defaulted protocol, say).
    const fields = Object.entries(key).filter(([k]) => element[k] !== undefined);
    if (
      fields.length > 0 &&
      fields.every(([k, v]) => JSON.stringify(element[k]) === JSON.stringify(v))
    ) {
      return child;
    }
  }
  return undefined;
}

/** `{}`: the server tracks this value as a whole (a scalar, or an atomic list or map). */
function isLeaf(node: FieldsV1): boolean {
  return Object.keys(node).length === 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
