// "shell-operator-ts-hooks/internal": the building blocks the transports are made of, for custom
// runners and for tests that check the protocol itself (a real operator's binding contexts, say).
// Hooks need none of them: the public entry is enough to define and run a hook.

export { parseBindingContexts } from "./binding-context.js";
export { collectRawSnapshots, filterSnapshots, itemContent } from "./snapshots.js";
export { createPatchCollector } from "./patches.js";
export { createMetricsCollector } from "./metrics.js";
export { createValues, moduleValuesKey, type ValuesOptions } from "./values.js";
export { createLogger, type LoggerOptions } from "./logger.js";
export { createHookInput, executeHook, type RunRequest } from "./run.js";
export { isModuleHook, type ShellOperatorConfig } from "./config/shell-config.js";
export { shellOperatorConfigSchema, type ConfigFlavor } from "./config/schema.js";
export {
  DEFAULT_BATCH_JQ_FILTER,
  type BatchHookConfigJson,
  type BatchHookEntry,
} from "./config/batch-config.js";
export { parseGoDuration } from "./config/duration.js";
export { crontabError } from "./config/crontab.js";
export { defaultProcessIO } from "./transport/io.js";
