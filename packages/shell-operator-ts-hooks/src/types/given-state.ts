// The state a test gives a hook (the testing helpers' input): snapshots per binding, values,
// clock and binding contexts.

import type { JsonObject } from "./basics.js";
import type { BindingContext } from "./binding-contexts.js";
import type { KubernetesBindings, NoBindings } from "./bindings.js";

/** The state a test gives a hook. */
export interface GivenState<B extends KubernetesBindings = NoBindings> {
  /**
   * Per binding, what the operator would deliver for each item: the object itself, or what the
   * binding's jqFilter yields. Each item is passed through the binding's `filter`.
   */
  snapshots?: { readonly [K in keyof B]?: readonly unknown[] };
  /** Merged values (default `{}`). */
  values?: JsonObject;
  /** Config values (default `{}`). */
  configValues?: JsonObject;
  /** The clock (default: now). */
  now?: Date;
  /** Binding contexts (default: one Group context `main` carrying the snapshots). */
  contexts?: readonly BindingContext[];
  /** The values root key that patches must start with (default: from `values`' first key). */
  moduleKey?: string;
}
