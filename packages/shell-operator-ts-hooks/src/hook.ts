// defineHook: pairs a config with its handler and checks, once at definition time, the rules
// the type system cannot express (binding keys equal binding names, orders are integers).

import type { HookConfig, KubernetesBindings, NoBindings } from "./types/bindings.js";
import type { AnyHook, Hook, HookHandler } from "./types/hook.js";

/**
 * Defines a hook. Throws when the config is inconsistent: a `kubernetes` key that differs from
 * its binding's `name`, an empty hook name, or a non-integer lifecycle order.
 */
export function defineHook<B extends KubernetesBindings = NoBindings>(
  config: HookConfig<B>,
  handler: HookHandler<B>,
): Hook<B> {
  checkHookConfig(config);
  return Object.freeze({ config, handler });
}

const ORDER_KEYS = [
  "onStartup",
  "onBeforeHelm",
  "onAfterHelm",
  "onBeforeDeleteHelm",
  "onAfterDeleteHelm",
] as const;

/** The config of any hook, with its bindings seen as the generic map (for serialisers). */
export function configOf(hook: AnyHook): HookConfig<KubernetesBindings> {
  return hook.config as HookConfig<KubernetesBindings>;
}

/** Throws an Error naming the hook and the offending field when `config` is inconsistent. */
export function checkHookConfig(config: HookConfig<KubernetesBindings>): void {
  if (typeof config.name !== "string" || config.name.trim() === "") {
    throw new Error("hook config: `name` must be a non-empty string");
  }
  for (const key of ORDER_KEYS) {
    const order = config[key];
    if (order !== undefined && !Number.isInteger(order)) {
      throw new Error(`hook ${config.name}: \`${key}\` must be an integer, got ${String(order)}`);
    }
  }
  for (const [key, binding] of Object.entries(config.kubernetes ?? {})) {
    if (binding.name !== key) {
      throw new Error(
        `hook ${config.name}: kubernetes binding key "${key}" differs from its name "${binding.name}"`,
      );
    }
  }
}
