// The public types of the library in one place: binding configuration (shell-operator v1 and
// addon-operator lifecycle bindings), parsed binding contexts, the hook input and the
// collectors' protocol shapes. Implementations import from here; users import via index.ts.

/* eslint-disable @typescript-eslint/no-explicit-any -- `KubernetesBinding<any>` is the only way
   to let a hook's binding map carry a different item type per binding. */

// ---------------------------------------------------------------------------------------------
// JSON and Kubernetes basics
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Binding configuration
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Binding contexts (what the operator passes in $BINDING_CONTEXT_PATH), parsed
// ---------------------------------------------------------------------------------------------

/** One snapshot entry as the operator sends it. Either field may be absent. */
export interface RawSnapshotItem {
  /** The whole object; absent when `keepFullObjectsInMemory: false`. */
  readonly object?: JsonObject;
  /** Parsed jqFilter output (may be `null`); absent when the binding has no jqFilter. */
  readonly filterResult?: JsonValue;
}

/** Raw snapshots: binding name → items, sorted by namespace then name. */
export type RawSnapshots = Readonly<Record<string, readonly RawSnapshotItem[]>>;

/** Lifecycle binding names (addon-operator) that arrive as `{binding, snapshots?}`. */
export type LifecycleBindingName =
  "beforeHelm" | "afterHelm" | "beforeDeleteHelm" | "afterDeleteHelm" | "beforeAll" | "afterAll";

/** `{"binding":"onStartup"}`. The `type` is added by the parser. */
export interface OnStartupContext {
  readonly type: "OnStartup";
  readonly binding: "onStartup";
  readonly snapshots?: RawSnapshots;
}

/** `{"binding":"beforeHelm","snapshots":{...}}` and the other lifecycle bindings. */
export interface LifecycleContext {
  readonly type: "Lifecycle";
  readonly binding: LifecycleBindingName;
  readonly snapshots?: RawSnapshots;
}

/** A schedule binding fired. */
export interface ScheduleContext {
  readonly type: "Schedule";
  readonly binding: string;
  readonly snapshots?: RawSnapshots;
}

/** Initial list of a kubernetes binding: every object it matches. */
export interface SynchronizationContext {
  readonly type: "Synchronization";
  readonly binding: string;
  readonly objects: readonly RawSnapshotItem[];
  readonly snapshots?: RawSnapshots;
}

/** One watch event of a kubernetes binding. */
export interface EventContext {
  readonly type: "Event";
  readonly binding: string;
  readonly watchEvent: WatchEventType;
  readonly object?: JsonObject;
  readonly filterResult?: JsonValue;
  readonly snapshots?: RawSnapshots;
}

/** Any binding of a group fired: carries all the group's snapshots. */
export interface GroupContext {
  readonly type: "Group";
  readonly binding: string;
  readonly groupName: string;
  readonly snapshots: RawSnapshots;
}

/** A parsed binding context: a union discriminated on `type`. */
export type BindingContext =
  | OnStartupContext
  | LifecycleContext
  | ScheduleContext
  | SynchronizationContext
  | EventContext
  | GroupContext;

// ---------------------------------------------------------------------------------------------
// Hook input and collectors
// ---------------------------------------------------------------------------------------------

/** The item type a binding's `filter` produces (`unknown` without a filter). */
export type SnapshotItem<Bd> = Bd extends KubernetesBinding<infer T> ? T : never;

/** Typed snapshots: binding name → filtered items. */
export type Snapshots<B extends KubernetesBindings> = {
  readonly [K in keyof B]: readonly SnapshotItem<B[K]>[];
};

/** One RFC 6902 operation. */
export interface JsonPatchOp {
  op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  path: string;
  value?: unknown;
  from?: string;
}

/** One values patch operation, as addon-operator accepts it (`replace` is rejected there). */
export interface ValuesPatchOp {
  readonly op: "add" | "remove";
  /** JSON pointer; its first segment is the module's camelCase name (or `global`). */
  readonly path: string;
  readonly value?: JsonValue;
}

/**
 * Values by path. Paths are dot paths from the root of the values document, the module key
 * included (`serviceWithHealthchecks.internal.x`); `\.` escapes a dot in a key; a path starting
 * with `/` is read as a JSON pointer. `set`/`remove` update the in-memory document and record
 * a values patch.
 */
export interface Values {
  /** The value at `path`, or `undefined`. */
  get(path: string): JsonValue | undefined;
  /** True when `path` exists (even if its value is `null`). */
  has(path: string): boolean;
  /** Sets `path` (creating missing parent objects) and records `add` operations. */
  set(path: string, value: JsonValue): void;
  /** Removes `path` if it exists and records a `remove` operation; no-op otherwise. */
  remove(path: string): void;
  /** The current document (after `set`/`remove`), read-only. */
  document(): Readonly<JsonObject>;
  /** The recorded patch, in order. */
  patches(): readonly ValuesPatchOp[];
}

/** Options common to the patch operations. */
export interface PatchOptions {
  subresource?: string;
  /** Do not fail when the object does not exist. */
  ignoreMissingObject?: boolean;
  /** Apply the patch even if the hook fails (shell-operator honours it for failed runs). */
  ignoreHookError?: boolean;
}

/** Options for create operations. */
export interface CreateOptions {
  subresource?: string;
}

/** Options for delete operations. */
export interface DeleteOptions {
  subresource?: string;
}

/** Create operation kinds. */
export type CreateOperationKind = "Create" | "CreateOrUpdate" | "CreateIfNotExists";
/** Delete operation kinds: foreground, background, orphaning. */
export type DeleteOperationKind = "Delete" | "DeleteInBackground" | "DeleteNonCascading";

/** `Create`, `CreateOrUpdate`, `CreateIfNotExists` (reference A.5). */
export interface CreatePatchOperation {
  readonly operation: CreateOperationKind;
  readonly object: KubeObject;
  readonly subresource?: string;
}

/** `Delete`, `DeleteInBackground`, `DeleteNonCascading`. */
export interface DeletePatchOperation {
  readonly operation: DeleteOperationKind;
  readonly apiVersion?: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly subresource?: string;
}

/** Fields shared by the three patch operations. */
interface PatchTarget {
  readonly apiVersion?: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly subresource?: string;
  readonly ignoreMissingObject?: boolean;
  readonly ignoreHookError?: boolean;
}

/** `MergePatch`. */
export interface MergePatchOperation extends PatchTarget {
  readonly operation: "MergePatch";
  readonly mergePatch: object;
}

/** `JSONPatch`. */
export interface JsonPatchOperation extends PatchTarget {
  readonly operation: "JSONPatch";
  readonly jsonPatch: readonly JsonPatchOp[];
}

/** `JQPatch`. */
export interface JqPatchOperation extends PatchTarget {
  readonly operation: "JQPatch";
  readonly jqFilter: string;
}

/** One line of `$KUBERNETES_PATCH_PATH`, exactly the protocol's JSON shape. */
export type PatchOperation =
  | CreatePatchOperation
  | DeletePatchOperation
  | MergePatchOperation
  | JsonPatchOperation
  | JqPatchOperation;

/** Collects Kubernetes operations; nothing reaches the API server while the hook runs. */
export interface PatchCollector {
  create(object: KubeObject, opts?: CreateOptions): void;
  createOrUpdate(object: KubeObject, opts?: CreateOptions): void;
  createIfNotExists(object: KubeObject, opts?: CreateOptions): void;
  /** Foreground deletion. */
  delete(ref: ObjectRef, opts?: DeleteOptions): void;
  deleteInBackground(ref: ObjectRef): void;
  /** Deletes the object and orphans its dependents. */
  deleteNonCascading(ref: ObjectRef): void;
  mergePatch(ref: ObjectRef, patch: object, opts?: PatchOptions): void;
  jsonPatch(ref: ObjectRef, ops: JsonPatchOp[], opts?: PatchOptions): void;
  jqPatch(ref: ObjectRef, jqFilter: string, opts?: PatchOptions): void;
  /** Ready operations (a planner's output), checked and kept in order like the methods above. */
  add(...operations: readonly PatchOperation[]): void;
  /** Everything collected, in order, in the protocol's JSON shapes. */
  operations(): readonly PatchOperation[];
}

/** Metric labels. */
export type MetricLabels = Readonly<Record<string, string>>;

/** Options for counter and gauge operations. */
export interface MetricOptions {
  /** Metric group: each run's batch for a group replaces the group's previous series. */
  group?: string;
}

/** One line of `$METRICS_PATH` (reference A.6). */
export interface MetricOperation {
  readonly name?: string;
  readonly action: "add" | "set" | "observe" | "expire";
  readonly value?: number;
  readonly buckets?: readonly number[];
  readonly labels?: MetricLabels;
  readonly group?: string;
}

/** Collects metric operations. */
export interface MetricsCollector {
  /** Adds 1 to a counter. */
  inc(name: string, labels?: MetricLabels, opts?: MetricOptions): void;
  /** Adds `value` to a counter. */
  add(name: string, value: number, labels?: MetricLabels, opts?: MetricOptions): void;
  /** Sets a gauge. */
  set(name: string, value: number, labels?: MetricLabels, opts?: MetricOptions): void;
  /** Observes a histogram sample (not supported for grouped metrics). */
  observe(name: string, value: number, buckets: readonly number[], labels?: MetricLabels): void;
  /** Drops every series of a group. */
  expire(group: string): void;
  /** Everything collected, in order. */
  metrics(): readonly MetricOperation[];
}

/** Log levels, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Structured fields on a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Structured logger; never throws. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger adding `fields` to every line. */
  child(fields: LogFields): Logger;
}

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
export type AnyHook = Hook<any>;

// ---------------------------------------------------------------------------------------------
// Transports
// ---------------------------------------------------------------------------------------------

/** The process around a transport; every field has a real default (see `defaultProcessIO`). */
export interface ProcessIO {
  /** Arguments after the script (`process.argv.slice(2)`). */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Writes to stdout. */
  readonly stdout: (text: string) => void;
  /** Writes to stderr. */
  readonly stderr: (text: string) => void;
  /** Reads a UTF-8 file. */
  readonly readFile: (path: string) => Promise<string>;
  /** Writes a UTF-8 file (replacing it). */
  readonly writeFile: (path: string, content: string) => Promise<void>;
  /** The clock. */
  readonly now: () => Date;
}

/** The readiness probe of a batch executable (`hook ready`). */
export interface ReadinessConfig {
  /** How often addon-operator runs the probe, in seconds (default 1). */
  intervalSeconds?: number;
  /** Throws (or rejects) when the module is not ready. */
  probe: (input: HookInput) => void | Promise<void>;
}

/** Options of the batch transport. */
export interface BatchOptions {
  readiness?: ReadinessConfig;
}

/** The output of one hook run, as the transports write it and the test helpers return it. */
export interface HookRunResult {
  readonly operations: readonly PatchOperation[];
  readonly metrics: readonly MetricOperation[];
  readonly valuesPatches: readonly ValuesPatchOp[];
  readonly configValuesPatches: readonly ValuesPatchOp[];
  /** Log lines (parsed JSON objects) the hook wrote. */
  readonly logs: readonly LogRecord[];
}

/** One log line. */
export interface LogRecord {
  readonly level: LogLevel;
  readonly msg: string;
  readonly time: string;
  readonly [field: string]: unknown;
}

// ---------------------------------------------------------------------------------------------
// Test helpers
// ---------------------------------------------------------------------------------------------

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
