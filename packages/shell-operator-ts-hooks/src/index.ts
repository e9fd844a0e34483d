// Public entry of shell-operator-ts-hooks: what a hook author needs to write typed hooks for
// shell-operator (per-file protocol) and addon-operator (batch protocol): the types, defineHook,
// and the two transports. Test helpers and config checks are in "shell-operator-ts-hooks/testing";
// the building blocks the transports are made of (for custom runners) in
// "shell-operator-ts-hooks/internal".

export type * from "./types/basics.js";
export type * from "./types/bindings.js";
export type * from "./types/binding-contexts.js";
export type * from "./types/hook.js";
export type * from "./types/values.js";
export type * from "./types/patch-operations.js";
export type * from "./types/metrics.js";
export type * from "./types/logging.js";
export type * from "./types/transport.js";
export type * from "./types/given-state.js";

export { defineHook, checkHookConfig } from "./hook.js";
export { runShellHook } from "./transport/shell.js";
export { runBatch } from "./transport/batch.js";
