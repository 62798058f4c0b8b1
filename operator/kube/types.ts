/**
 * Kubernetes objects as the API server sends them: plain JSON, timestamps as strings. The operator
 * keeps objects in this form end to end (no typed model classes) because the no-op check and the
 * desired-state hash compare exactly what the server stores.
 */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: FieldsV1;
  subresource?: string;
}

/** The field set of one manager, in the API server's `FieldsV1` trie encoding. */
export interface FieldsV1 {
  [pathElement: string]: FieldsV1;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items: T[];
}

/** The kind of an object, as written in a manifest. */
export interface GroupVersionKind {
  apiVersion: string;
  kind: string;
}

/** Where an object lives. */
export interface ObjectRef extends GroupVersionKind {
  namespace?: string;
  name: string;
}

/** `namespace/name`, the key controllers queue. Cluster-scoped objects use just `name`. */
export function objectKey(
  obj: { metadata: ObjectMeta } | { namespace?: string; name: string },
): string {
  const meta = 'metadata' in obj ? obj.metadata : obj;
  return meta.namespace ? `${meta.namespace}/${meta.name ?? ''}` : (meta.name ?? '');
}

export function parseObjectKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf('/');
  if (slash < 0) return { name: key };
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The API group of an apiVersion: `apps/v1` → `apps`, `v1` → `` (core). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}
