// Public entry of shell-operator-ts-hooks: what a hook author needs to write typed hooks for
// shell-operator (per-file protocol) and addon-operator (batch protocol): the types, defineHook,
// and the two transports. Test helpers and config checks are in "shell-operator-ts-hooks/testing";
// the building blocks the transports are made of (for custom runners) in
// "shell-operator-ts-hooks/internal".

export type * from "./types.js";

export { defineHook, checkHookConfig } from "./hook.js";
export { runShellHook } from "./transport/shell.js";
export { runBatch } from "./transport/batch.js";
