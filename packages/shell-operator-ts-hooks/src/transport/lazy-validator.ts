// Loads the config validator on first use. ajv takes tens of milliseconds to load, and only
// `--config` / `hook config` need it, not the frequent `hook run`. The dynamic import keeps it
// out of the start-up path, in Node and in esbuild bundles (which make it a lazy module).

import type { validateShellOperatorConfig } from "../config/schema.js";

/** The schema validator, loaded on first call. */
export async function loadValidator(): Promise<typeof validateShellOperatorConfig> {
  const schema = await import("../config/schema.js");
  return schema.validateShellOperatorConfig;
}
