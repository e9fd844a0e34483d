#!/usr/bin/env node
// Builds the module's hooks executable. The Deckhouse controller image has no Node.js, and
// addon-operator runs a batch hook as an extensionless executable in the module's hooks/
// directory, so the TypeScript hooks ship as a Node single-executable application (SEA):
//
//   1. esbuild bundles hooks/main.ts and everything it imports into one CommonJS file,
//      build/hooks/hooks.cjs (a SEA's main script must be a single CommonJS script: `require`
//      inside it only reaches Node's built-in modules);
//   2. `node --experimental-sea-config` turns that script into a preparation blob, with V8's
//      code cache so start-up skips compiling the bundle (every hook run is a new process);
//   3. the blob is injected into a copy of the Node 24 binary from the `node` devDependency with
//      postject, which flips the SEA fuse -> build/hooks/swh-hooks, executable, no extension.
//
// Usage: node scripts/build-hooks.mjs [--bundle-only] [--out-dir <dir>] [--no-strip]
//   --bundle-only  stop after step 1 (tests that only need `node build/hooks/hooks.cjs ...`)
//   --out-dir      where to write (default build/hooks)
//   --no-strip     keep the Node binary's debug symbols (by default they are stripped with
//                  binutils' `strip` when it is installed: ~126 MB -> ~100 MB, same code)

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ENTRY = path.join(ROOT, "hooks", "main.ts");
/** The Node 24 binary pinned by the `node` devDependency; it builds the blob and hosts it. */
const NODE_BINARY = path.join(ROOT, "node_modules", "node", "bin", "node");
/** Fixed by Node: postject flips this fuse so the binary looks for its injected blob. */
const SEA_SENTINEL_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";
const SEA_RESOURCE = "NODE_SEA_BLOB";

/** The bundle's file name in the output directory. */
export const BUNDLE_NAME = "hooks.cjs";
/** The executable's file name in the output directory (no extension: addon-operator's rule). */
export const EXECUTABLE_NAME = "swh-hooks";

/** Parses the command line; throws on anything unknown. */
export function parseArgs(argv) {
  const options = { bundleOnly: false, outDir: path.join(ROOT, "build", "hooks"), strip: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--bundle-only") options.bundleOnly = true;
    else if (arg === "--no-strip") options.strip = false;
    else if (arg === "--out-dir" && argv[i + 1] !== undefined)
      options.outDir = path.resolve(argv[++i]);
    else throw new Error(`build-hooks: unknown argument ${JSON.stringify(arg)}`);
  }
  return options;
}

/** Step 1: bundles hooks/main.ts into `<outDir>/hooks.cjs`; returns its path. */
export async function bundleHooks(outDir) {
  const outfile = path.join(outDir, BUNDLE_NAME);
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints: [ENTRY],
    outfile,
    bundle: true,
    platform: "node",
    target: "node24",
    format: "cjs",
    // Deterministic, readable output: stack traces in hook logs point at real names.
    minify: false,
    legalComments: "eof",
    banner: {
      js: "// SPDX-License-Identifier: Apache-2.0\n// service-with-healthchecks hooks bundle",
    },
    logLevel: "warning",
    metafile: true,
  });
  const inputs = Object.keys(result.metafile.inputs).length;
  return { outfile, inputs };
}

function hasStrip() {
  try {
    execFileSync("strip", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Steps 2 and 3: bundle -> SEA blob -> injected copy of the Node binary; returns its path. */
export async function buildExecutable(bundlePath, outDir, { strip }) {
  if (!existsSync(NODE_BINARY)) {
    throw new Error(`build-hooks: ${NODE_BINARY} is missing; run npm ci (the node devDependency)`);
  }
  const work = await mkdtemp(path.join(os.tmpdir(), "swh-hooks-sea-"));
  try {
    const blob = path.join(work, "sea-prep.blob");
    const config = path.join(work, "sea-config.json");
    await writeFile(
      config,
      JSON.stringify({
        main: bundlePath,
        output: blob,
        disableExperimentalSEAWarning: true,
        useCodeCache: true,
      }),
    );
    execFileSync(NODE_BINARY, ["--experimental-sea-config", config], { stdio: "inherit" });
    const staged = path.join(work, EXECUTABLE_NAME);
    await copyFile(NODE_BINARY, staged);
    await chmod(staged, 0o755);
    if (strip && hasStrip()) execFileSync("strip", ["--strip-debug", staged]);
    const { inject } = createRequire(import.meta.url)("postject");
    await inject(staged, SEA_RESOURCE, await readFile(blob), { sentinelFuse: SEA_SENTINEL_FUSE });
    const target = path.join(outDir, EXECUTABLE_NAME);
    await rm(target, { force: true });
    // copy + rename: never leave a half-written executable where the operator looks.
    await copyFile(staged, `${target}.tmp`);
    await rename(`${target}.tmp`, target);
    await chmod(target, 0o755);
    return target;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const { outfile, inputs } = await bundleHooks(options.outDir);
  console.log(`build-hooks: bundled ${inputs} files -> ${path.relative(process.cwd(), outfile)}`);
  if (options.bundleOnly) return;
  const executable = await buildExecutable(outfile, options.outDir, options);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`build-hooks: ${path.relative(process.cwd(), executable)} (${seconds} s)`);
}

if (
  process.argv[1] !== undefined &&
  path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  main().catch(error => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
