// "shell-operator-ts-hooks/testing": what a hook's tests need: run a hook on given snapshots
// (runHookForTest, buildInput), parse YAML fixtures, and check the config documents the
// operators will read (the `--config` document and its schema, the batch `hook config` document
// and what its encoding loses).

export { buildInput, runHookForTest } from "./helpers.js";
export { fromYaml } from "./yaml.js";
export { toShellOperatorConfig } from "../config/shell-config.js";
export { validateShellOperatorConfig } from "../config/schema.js";
export { toBatchHookConfig, batchConfigWarnings } from "../config/batch-config.js";
