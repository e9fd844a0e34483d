// A hook as its author defines it: the typed snapshots and everything else its handler receives,
// the handler, and the hook (config plus handler).

import type { BindingContext, RawSnapshots } from "./binding-contexts.js";
import type { HookConfig, KubernetesBinding, KubernetesBindings, NoBindings } from "./bindings.js";
import type { Logger } from "./logging.js";
import type { MetricsCollector } from "./metrics.js";
import type { PatchCollector } from "./patch-operations.js";
import type { Values } from "./values.js";

/** The item type a binding's `filter` produces (`unknown` without a filter). */
export type SnapshotItem<Bd> = Bd extends KubernetesBinding<infer T> ? T : never;

/** Typed snapshots: binding name → filtered items. */
export type Snapshots<B extends KubernetesBindings> = {
  readonly [K in keyof B]: readonly SnapshotItem<B[K]>[];
};

/** What a handler receives. */
export interface HookInput<B extends KubernetesBindings = NoBindings> {
  /** The binding contexts of this run, parsed (compaction may put several in one run). */
  readonly contexts: readonly BindingContext[];
  /** Typed, filtered snapshots of every kubernetes binding (empty arrays when none). */
  readonly snapshots: Snapshots<B>;
  /** The same snapshots before `filter`, as the operator sent them. */
  readonly rawSnapshots: RawSnapshots;
  /** Merged values (`$VALUES_PATH`). */
  readonly values: Values;
  /** User config values (`$CONFIG_VALUES_PATH`). */
  readonly configValues: Values;
  readonly patches: PatchCollector;
  readonly metrics: MetricsCollector;
  readonly logger: Logger;
  /** The time of the run (injectable in tests). */
  readonly now: Date;
}

/** A hook's handler. It only collects intentions. */
export type HookHandler<B extends KubernetesBindings = NoBindings> = (
  input: HookInput<B>,
) => void | Promise<void>;

/** A defined hook: its config and handler. */
export interface Hook<B extends KubernetesBindings = NoBindings> {
  readonly config: HookConfig<B>;
  readonly handler: HookHandler<B>;
}

/** Any hook, whatever its bindings. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- whatever item type each binding has
export type AnyHook = Hook<any>;
