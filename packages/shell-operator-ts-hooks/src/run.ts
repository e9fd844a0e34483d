// The transport-independent core of one hook run: build the handler's input from parsed
// contexts and values, call the handler, and read back what it collected. Both transports and
// the test helpers go through here, so a hook behaves the same in tests and in the cluster.

import { createLogger } from "./logger.js";
import { createMetricsCollector } from "./metrics.js";
import { createPatchCollector } from "./patches.js";
import { collectRawSnapshots, filterSnapshots } from "./snapshots.js";
import { createValues } from "./values.js";
import type { JsonObject } from "./types/basics.js";
import type { BindingContext } from "./types/binding-contexts.js";
import type { KubernetesBindings } from "./types/bindings.js";
import type { Hook, HookInput } from "./types/hook.js";
import type { Logger } from "./types/logging.js";
import type { HookRunResult } from "./types/transport.js";

/** Everything a run needs besides the hook. */
export interface RunRequest {
  readonly contexts: readonly BindingContext[];
  /** Merged values (default `{}`). */
  readonly values?: JsonObject;
  /** Config values (default `{}`). */
  readonly configValues?: JsonObject;
  /** Values root key that `set`/`remove` paths must start with (unchecked when absent). */
  readonly moduleKey?: string;
  readonly now: Date;
  readonly logger?: Logger;
}

/** Builds the handler input: snapshots resolved and filtered, fresh collectors. */
export function createHookInput<B extends KubernetesBindings>(
  hook: Hook<B>,
  request: RunRequest,
): HookInput<B> {
  const bindings = (hook.config.kubernetes ?? {}) as B;
  const rawSnapshots = collectRawSnapshots(request.contexts, Object.keys(bindings));
  const rootKey = request.moduleKey === undefined ? {} : { rootKey: request.moduleKey };
  return {
    contexts: request.contexts,
    snapshots: filterSnapshots(bindings, rawSnapshots),
    rawSnapshots,
    values: createValues(request.values ?? {}, rootKey),
    configValues: createValues(request.configValues ?? {}, rootKey),
    patches: createPatchCollector(),
    metrics: createMetricsCollector(),
    logger: request.logger ?? createLogger({ fields: { hook: hook.config.name } }),
    now: request.now,
  };
}

/** Reads back what a handler collected (logs are the caller's concern). */
export function collectedOutput(input: HookInput<KubernetesBindings>): Omit<HookRunResult, "logs"> {
  return {
    operations: input.patches.operations(),
    metrics: input.metrics.metrics(),
    valuesPatches: input.values.patches(),
    configValuesPatches: input.configValues.patches(),
  };
}

/** Runs `hook` once; rejects with context when building the input or the handler fails. */
export async function executeHook<B extends KubernetesBindings>(
  hook: Hook<B>,
  request: RunRequest,
): Promise<Omit<HookRunResult, "logs">> {
  try {
    const input = createHookInput(hook, request);
    await hook.handler(input);
    return collectedOutput(input);
  } catch (cause) {
    throw new Error(`hook ${hook.config.name} failed`, { cause });
  }
}
