// Entry point of the hooks executable. addon-operator discovers an extensionless executable in the
// module's hooks/ directory as a batch hook and drives it with `hook list`, `hook config`,
// `hook run <index>` and `hook ready`; this file lists every hook of the module, in a fixed order
// (the index is the hook's identity between `hook config` and `hook run`), and hands the process
// to the hook library's batch runner. scripts/build-hooks.mjs bundles it into one CommonJS file
// and then into a Node single-executable application, so no Node.js install is needed.

import { runBatch, type AnyHook } from "shell-operator-ts-hooks";
import { childServiceHook } from "./child-service/hook.js";
import { endpointsliceGcHook } from "./endpointslice-gc/hook.js";
import { ensureCrdsHook } from "./ensure-crds/hook.js";
import { secretAccessHook } from "./secret-access/hook.js";
import { statusHook } from "./status/hook.js";

/**
 * Every hook of the module. Append new hooks at the end: addon-operator addresses hooks by their
 * index here, and a reorder between `hook config` and `hook run` of two builds would run the
 * wrong hook during an upgrade.
 */
export const HOOKS: readonly AnyHook[] = [
  ensureCrdsHook,
  childServiceHook,
  secretAccessHook,
  statusHook,
  endpointsliceGcHook,
];

runBatch(HOOKS).then(
  code => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`swh-hooks: unexpected failure: ${text}\n`);
    process.exitCode = 1;
  },
);
