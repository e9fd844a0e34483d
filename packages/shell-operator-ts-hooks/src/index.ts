// Public entry of shell-operator-ts-hooks: typed hooks for shell-operator (per-file protocol)
// and addon-operator (batch protocol). Everything a hook author needs is exported from here;
// the test helpers are also available as "shell-operator-ts-hooks/testing".

export type * from "./types.js";

// Defining hooks
export { defineHook, checkHookConfig } from "./hook.js";

// Building blocks (the transports use these; exported for custom runners and tests)
export { parseBindingContexts } from "./binding-context.js";
export { collectRawSnapshots, filterSnapshots, itemContent } from "./snapshots.js";
export { createPatchCollector } from "./patches.js";
export { createMetricsCollector } from "./metrics.js";
export { createValues, moduleValuesKey, type ValuesOptions } from "./values.js";
export { createLogger, type LoggerOptions } from "./logger.js";
export { createHookInput, executeHook, type RunRequest } from "./run.js";

// Config documents
export {
  toShellOperatorConfig,
  isModuleHook,
  type ShellOperatorConfig,
} from "./config/shell-config.js";
export {
  validateShellOperatorConfig,
  shellOperatorConfigSchema,
  type ConfigFlavor,
} from "./config/schema.js";
export {
  toBatchHookConfig,
  batchConfigWarnings,
  DEFAULT_BATCH_JQ_FILTER,
  type BatchHookConfigJson,
  type BatchHookEntry,
} from "./config/batch-config.js";
export { parseGoDuration } from "./config/duration.js";
export { crontabError } from "./config/crontab.js";

// Transports
export { runShellHook } from "./transport/shell.js";
export { runBatch } from "./transport/batch.js";
export { defaultProcessIO } from "./transport/io.js";

// Test helpers
export { buildInput, runHookForTest } from "./testing/helpers.js";
