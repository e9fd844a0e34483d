// Loads the JSON fixtures in this directory: binding contexts shaped exactly like the ones
// shell-operator (MapV1) and addon-operator write to $BINDING_CONTEXT_PATH.

import { readFileSync } from "node:fs";

/** The parsed JSON of `testdata/<name>`. */
export function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(name, import.meta.url), "utf8")) as unknown;
}
