// Entry point of the example shell-operator hook the spawn test bundles with esbuild.

import { runShellHook } from "../transport/shell.js";
import { appServicesHook } from "./example-hooks.js";

void runShellHook(appServicesHook).then(code => {
  process.exitCode = code;
});
