// Entry point of the example batch executable the spawn test bundles with esbuild: the same
// shape as a module's hooks/main.ts.

import { runBatch } from "../transport/batch.js";
import { appServicesHook, failingHook } from "./example-hooks.js";

void runBatch(
  [appServicesHook, failingHook],
  {},
  { readiness: { intervalSeconds: 10, probe: () => undefined } },
).then(code => {
  process.exitCode = code;
});
