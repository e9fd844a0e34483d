// Builds the shippable artefacts: the bundled node agent and the single-executable hooks.
// Each part has its own script so tests can build only what they need.
import { spawnSync } from "node:child_process";

const parts = process.argv.slice(2).length ? process.argv.slice(2) : ["agent", "hooks"];
for (const part of parts) {
  const result = spawnSync(process.execPath, [`scripts/build-${part}.mjs`], { stdio: "inherit" });
  if (result.status !== 0) {
    console.error(`build: ${part} failed (exit ${result.status})`);
    process.exit(result.status ?? 1);
  }
}
