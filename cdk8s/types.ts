import type { ResolvedFractalLBASpec } from '../operator/api/fractallba.ts';

/** One verifier Secret the backend mounts: the SigningKey it belongs to and a digest of it. */
export interface RenderKey {
  /** SigningKey name; the Secret is mounted at /etc/flk/keys/<signingKeyName>. */
  signingKeyName: string;
  /** The SigningKey's verifier Secret (its status.verifierSecretName). */
  verifierSecretName: string;
  /** Digest of the Secret's content; a change rolls the pods. */
  checksum: string;
  /**
   * Key ids the Secret holds (its `<kid>.json` entries). Listed on the pod template, so a
   * SigningKey can see from the API which keys a rolled-out Deployment verifies with.
   */
  keyIds?: string[];
}

/** Everything a render depends on. The same input always gives byte-identical output. */
export interface RenderInput {
  flk: {
    name: string;
    namespace: string;
    uid: string;
    /** Not written onto children: it would rewrite every child on any spec change. */
    generation: number;
    /** Labels of the FractalLBA; copied to children except GitOps tracking labels. */
    labels?: Record<string, string>;
  };
  spec: ResolvedFractalLBASpec;
  keys: RenderKey[];
  /** Extra digest folded into the pod-template checksum (e.g. of referenced Secrets' content). */
  configChecksum?: string;
  /** Namespace the operator runs in; when set, its pods may reach the backend port for /ready. */
  operatorNamespace?: string;
}

/** A rendered Kubernetes object, plain JSON. */
export interface KubeManifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: {
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller?: boolean;
      blockOwnerDeletion?: boolean;
    }[];
  };
  [field: string]: unknown;
}
