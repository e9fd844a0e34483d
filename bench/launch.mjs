#!/usr/bin/env node
// Entry of `npm run bench`: bundles the benchmark suite's TypeScript entry points with esbuild
// into build/bench/ and runs the orchestrator (build/bench/cli.mjs) with the given arguments.
//
// Why a launcher: the suite spawns several processes of its own (the measured agent driver, the
// probe targets, the instrumented cluster agent), each must be one self-contained file that runs
// on the pinned Node 24 without a TypeScript loader, bundled the way scripts/build-agent.mjs
// bundles the shipped agent. Two details:
// - files bundled from the repository keep their own `import.meta.url` (a plugin replaces it by
//   the source file's URL), so helpers that find files beside their sources (tests/testenv's
//   versions.env, tests/cluster's repository root) behave as if run from source;
// - 10,000 probe targets need more file descriptors than the default soft limit: the
//   orchestrator runs under `prlimit --nofile` at 262,144, or at the hard limit when raising the
//   hard limit is not allowed here (children inherit it).
//
// Usage: node bench/launch.mjs [--quick] [capacity|hooks|cluster|report ...] [--help]
import { spawn, spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "build", "bench");
/** Pinned Node 24 (the `node` devDependency), never the system one. */
const nodeBinary = join(root, "node_modules", "node", "bin", "node");
/** File descriptors for 10,000 targets plus their connections on both sides. */
const NOFILE = 262_144;

/** Entry points: source (relative to bench/) -> output name in build/bench/. */
const ENTRIES = {
  "cli.ts": "cli",
  "capacity/driver.ts": "driver",
  "capacity/targets.ts": "targets",
  "cluster/agent-entry.ts": "cluster-agent",
};

const banner = [
  'import { createRequire as __benchCreateRequire } from "node:module";',
  "const require = __benchCreateRequire(import.meta.url);",
].join("\n");

/** Keeps `import.meta.url`, `.dirname` and `.filename` of repository sources pointing at them. */
const sourceLocation = {
  name: "source-location",
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /\.ts$/ }, async args => {
      const text = await readFile(args.path, "utf8");
      if (!args.path.startsWith(root) || !text.includes("import.meta")) return undefined;
      const contents = text
        .replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href))
        .replaceAll("import.meta.dirname", JSON.stringify(dirname(args.path)))
        .replaceAll("import.meta.filename", JSON.stringify(args.path));
      return { contents, loader: "ts" };
    });
  },
};

async function bundle() {
  await build({
    entryPoints: Object.entries(ENTRIES).map(([src, out]) => ({
      in: join(root, "bench", src),
      out,
    })),
    outdir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    target: "node24",
    format: "esm",
    sourcemap: "linked",
    banner: { js: banner },
    // esbuild itself (tests/cluster builds its bundles with it) must stay a package: its JS API
    // locates its binary relative to its own files.
    external: ["pg-native", "esbuild"],
    alias: { punycode: "punycode/punycode.js" },
    plugins: [sourceLocation],
    logLevel: "warning",
  });
}

/** The hard limit of open files (`ulimit -Hn`), or undefined when unknown. */
function hardFileLimit() {
  const result = spawnSync("sh", ["-c", "ulimit -Hn"], { encoding: "utf8" });
  const value = result.stdout.trim();
  if (value === "unlimited") return NOFILE;
  const limit = Number(value);
  return Number.isInteger(limit) && limit > 0 ? limit : undefined;
}

/** Whether `prlimit --nofile=N:N` works here (raising the hard limit needs CAP_SYS_RESOURCE). */
function canSetFileLimit(limit) {
  return (
    spawnSync("prlimit", [`--nofile=${limit}:${limit}`, "--", "true"], { stdio: "ignore" })
      .status === 0
  );
}

/** The orchestrator's command line, under the highest file limit this machine grants. */
function command(args) {
  const cli = [nodeBinary, "--enable-source-maps", join(outdir, "cli.mjs"), ...args];
  const limits = [NOFILE, hardFileLimit()].filter(l => l !== undefined);
  const limit = limits.find(canSetFileLimit);
  if (limit === undefined) return [cli[0], cli.slice(1)];
  return ["prlimit", [`--nofile=${limit}:${limit}`, "--", ...cli]];
}

await bundle();
const [file, argv] = command(process.argv.slice(2));
const child = spawn(file, argv, { stdio: "inherit", cwd: root });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});
