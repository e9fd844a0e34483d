// Binding contexts (what the operator passes in $BINDING_CONTEXT_PATH), parsed: one interface per
// context type, discriminated on `type`, and the raw snapshots they carry.

import type { JsonObject, JsonValue } from "./basics.js";
import type { WatchEventType } from "./bindings.js";

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
