// Serialises a HookConfig to the document a shell-operator hook prints for `--config`
// (`configVersion: v1`, reference A.2). addon-operator module shell hooks accept the same
// document plus the lifecycle keys (`beforeHelm`, `afterHelm`, ...), which are emitted only
// when the hook sets them. The TS-only `filter` is never serialised; hook-level `queue` and
// `allowFailure` become per-binding defaults, since v1 has no hook-level keys for them.

import { configOf } from "../hook.js";
import type {
  HookConfig,
  KubernetesBinding,
  KubernetesBindings,
  ScheduleBinding,
} from "../types/bindings.js";
import type { AnyHook } from "../types/hook.js";

/** The `--config` document of a shell-operator (or addon-operator module shell) hook. */
export type ShellOperatorConfig = Readonly<Record<string, unknown>>;

/** Lifecycle keys: HookConfig field → addon-operator config key. */
export const LIFECYCLE_KEYS = [
  ["onBeforeHelm", "beforeHelm"],
  ["onAfterHelm", "afterHelm"],
  ["onBeforeDeleteHelm", "beforeDeleteHelm"],
  ["onAfterDeleteHelm", "afterDeleteHelm"],
] as const;

/** Key order of a serialised kubernetes binding (every v1 field except `filter`). */
const KUBERNETES_KEYS = [
  "name",
  "apiVersion",
  "kind",
  "nameSelector",
  "labelSelector",
  "fieldSelector",
  "namespace",
  "executeHookOnEvent",
  "executeHookOnSynchronization",
  "waitForSynchronization",
  "keepFullObjectsInMemory",
  "resynchronizationPeriod",
  "jqFilter",
  "includeSnapshotsFrom",
  "allowFailure",
  "queue",
  "group",
] as const satisfies readonly (keyof KubernetesBinding)[];

const SCHEDULE_KEYS = [
  "name",
  "crontab",
  "allowFailure",
  "includeSnapshotsFrom",
  "queue",
  "group",
] as const satisfies readonly (keyof ScheduleBinding)[];

/** The v1 config document of `hook`. */
export function toShellOperatorConfig(hook: AnyHook): ShellOperatorConfig {
  const config = configOf(hook);
  const doc: Record<string, unknown> = { configVersion: "v1" };
  if (config.onStartup !== undefined) doc["onStartup"] = config.onStartup;
  for (const [field, key] of LIFECYCLE_KEYS) {
    if (config[field] !== undefined) doc[key] = config[field];
  }
  const defaults = hookDefaults(config);
  if (config.schedule?.length) {
    doc["schedule"] = config.schedule.map(s => pick({ ...defaults, ...s }, SCHEDULE_KEYS));
  }
  const bindings = Object.values(config.kubernetes ?? {});
  if (bindings.length > 0) {
    doc["kubernetes"] = bindings.map(b => pick({ ...defaults, ...b }, KUBERNETES_KEYS));
  }
  if (config.settings && Object.keys(config.settings).length > 0) {
    doc["settings"] = pick(config.settings, ["executionMinInterval", "executionBurst"]);
  }
  return doc;
}

/** True when the hook uses addon-operator lifecycle bindings (a module hook). */
export function isModuleHook(hook: AnyHook): boolean {
  return LIFECYCLE_KEYS.some(([field]) => hook.config[field] !== undefined);
}

function hookDefaults(config: HookConfig<KubernetesBindings>): {
  queue?: string;
  allowFailure?: boolean;
} {
  return {
    ...(config.queue !== undefined ? { queue: config.queue } : {}),
    ...(config.allowFailure !== undefined ? { allowFailure: config.allowFailure } : {}),
  };
}

/** The listed keys of `source` that are defined, deep-copied, in the listed order. */
function pick<T extends object>(source: T, keys: readonly (keyof T)[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = source[key];
    if (value !== undefined) out[key as string] = structuredClone(value);
  }
  return out;
}
