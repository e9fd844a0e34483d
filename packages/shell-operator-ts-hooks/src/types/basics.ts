// JSON values and the Kubernetes object shapes the other types build on: an object as a hook
// writes it, and a reference naming one object.

/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
/** A JSON object. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** A Kubernetes object as the hook writes it: apiVersion, kind and metadata.name are required. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Names one object. An absent or empty `namespace` means a cluster-scoped object. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}
