// What a hook declares to the operator: its kubernetes and schedule bindings (every documented
// shell-operator v1 field, plus the in-hook `filter`), lifecycle orders and rate limits.

/* eslint-disable @typescript-eslint/no-explicit-any -- `KubernetesBinding<any>` is the only way
   to let a hook's binding map carry a different item type per binding. */

/** Kubernetes watch event types. */
export type WatchEventType = "Added" | "Modified" | "Deleted";

/** One label selector requirement (`matchExpressions` item). */
export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

/** A Kubernetes label selector. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** One field selector requirement: exactly these three keys (shell-operator schema). */
export interface FieldSelectorRequirement {
  field: string;
  operator: "=" | "==" | "Equals" | "!=" | "NotEquals";
  value: string;
}

/**
 * A `kubernetes` binding: every documented shell-operator v1 field, plus `filter`, which runs
 * in the hook (not in the operator) on each snapshot item.
 * @typeParam T the item type `filter` returns; `unknown` when there is no filter.
 */
export interface KubernetesBinding<T = unknown> {
  /** Binding name; must equal its key in `HookConfig.kubernetes`. */
  name: string;
  /** e.g. `v1`, `network.deckhouse.io/v1alpha1`. */
  apiVersion?: string;
  /** Kind (case-insensitive; plural or short names are accepted by the operator). */
  kind: string;
  /** Only objects with these names. */
  nameSelector?: { matchNames: string[] };
  labelSelector?: LabelSelector;
  fieldSelector?: { matchExpressions: FieldSelectorRequirement[] };
  /** Namespaces to watch; absent means all namespaces. */
  namespace?: { nameSelector?: { matchNames: string[] }; labelSelector?: LabelSelector };
  /** Events that run the hook; default all three, `[]` makes the binding snapshot-only. */
  executeHookOnEvent?: WatchEventType[];
  /** Run the hook on the initial Synchronization (default true). */
  executeHookOnSynchronization?: boolean;
  /** Wait for Synchronization before the queue goes on (default true; false needs `queue`). */
  waitForSynchronization?: boolean;
  /** Keep whole objects in the operator's memory (default true; false when batch-remapped). */
  keepFullObjectsInMemory?: boolean;
  /** Go duration, e.g. `5m`: re-run Synchronization this often. */
  resynchronizationPeriod?: string;
  /** jq program run by the operator; its output (`filterResult`) is what the hook receives. */
  jqFilter?: string;
  /** Other bindings whose snapshots this binding's contexts carry. */
  includeSnapshotsFrom?: string[];
  /** A failing run for this binding is logged and skipped instead of retried. */
  allowFailure?: boolean;
  /** Queue name (default `main`). */
  queue?: string;
  /** Group name: contexts become `type: Group` with all the group's snapshots. */
  group?: string;
  /**
   * Filter at the edge: runs in the hook on each snapshot item (the `filterResult` when the
   * binding has a `jqFilter`, else the `object`) and returns the typed item, or `undefined` to
   * drop it. It receives untrusted input and must validate it. Never serialised.
   */
  filter?: (input: unknown) => T | undefined;
}

/** A `schedule` binding. */
export interface ScheduleBinding {
  /** Binding name in contexts (default `schedule`). */
  name?: string;
  /** Cron expression: 5 fields, or 6 with seconds first. */
  crontab: string;
  allowFailure?: boolean;
  /** Bindings whose snapshots the Schedule context carries. */
  includeSnapshotsFrom?: string[];
  queue?: string;
  group?: string;
}

/** Rate limiting of hook runs (a token bucket). */
export interface HookSettings {
  /** Go duration string, e.g. `5s`. */
  executionMinInterval?: string;
  executionBurst?: number;
}

/** A hook's binding map: binding name → binding. */
export type KubernetesBindings = Record<string, KubernetesBinding<any>>;

/** Empty binding map, the default for hooks without kubernetes bindings. */
export type NoBindings = Record<never, never>;

/** Everything a hook declares to the operator. */
export interface HookConfig<B extends KubernetesBindings = NoBindings> {
  /** Stable hook name (used in batch `hook config` metadata and logs). */
  name: string;
  /** Order of the onStartup run (lower runs first). */
  onStartup?: number;
  /** addon-operator module hooks: order of the beforeHelm run. */
  onBeforeHelm?: number;
  /** addon-operator module hooks: order of the afterHelm run. */
  onAfterHelm?: number;
  /** addon-operator module hooks: order of the beforeDeleteHelm run (addon-operator ≥ 1.24). */
  onBeforeDeleteHelm?: number;
  /** addon-operator module hooks: order of the afterDeleteHelm run. */
  onAfterDeleteHelm?: number;
  schedule?: ScheduleBinding[];
  /** Kubernetes bindings keyed by binding name (the key must equal `binding.name`). */
  kubernetes?: B;
  settings?: HookSettings;
  /** Default queue for the hook's bindings (batch protocol). */
  queue?: string;
  /** Default allowFailure for the hook's bindings (batch protocol). */
  allowFailure?: boolean;
}
