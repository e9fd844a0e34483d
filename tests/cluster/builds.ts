// Makes sure every artefact the world runs exists and is newer than its sources: the hooks
// executable (Node single-executable, scripts/build-hooks.mjs), the agent bundle
// (scripts/build-agent.mjs), the harness bundles (ModuleConfig bridge, backend daemon) and
// addon-operator (testenv's build-tools.sh, from the Go module proxy, once per machine).
// Serialised by a lock, so parallel jest workers build once.
import { execFile, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, rename } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { cacheDir, parseEnvFile } from "../testenv/layout.js";
import { withLock } from "../testenv/lock.js";
import { bundleDir, nodeBinary, repoRoot } from "./layout.js";

const run = promisify(execFile);

/** Paths of the built artefacts. */
export interface Artefacts {
  readonly hooksExecutable: string;
  readonly agentBundle: string;
  readonly bridgeBundle: string;
  readonly backendBundle: string;
  readonly addonOperator: string;
}

/** Newest modification time (ms) of the files under `paths` (0 when none exist). */
export function newestMtime(paths: readonly string[]): number {
  let newest = 0;
  const visit = (path: string): void => {
    if (!existsSync(path)) return;
    const st = statSync(path);
    if (st.isDirectory()) {
      for (const entry of readdirSync(path)) if (entry !== "node_modules") visit(join(path, entry));
    } else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of paths) visit(p);
  return newest;
}

function stale(output: string, sources: readonly string[]): boolean {
  return !existsSync(output) || statSync(output).mtimeMs < newestMtime(sources);
}

async function node(
  script: string,
  args: readonly string[],
  log: (line: string) => void,
): Promise<void> {
  const root = repoRoot();
  try {
    const { stdout } = await run(nodeBinary(), [join(root, script), ...args], {
      cwd: root,
      maxBuffer: 16 << 20,
      timeout: 10 * 60_000,
    });
    for (const line of stdout.trim().split("\n")) if (line) log(line);
  } catch (err) {
    const stderr = ((err as { stderr?: string }).stderr ?? "").trim();
    throw new Error(`${script} failed: ${stderr || String(err)}`, { cause: err });
  }
}

/** esbuild-bundles a harness entry point into build/cluster/<name>.mjs. */
export async function bundleEntry(entry: string, name: string): Promise<string> {
  const { build } = await import("esbuild");
  const root = repoRoot();
  const outfile = join(bundleDir(), `${name}.mjs`);
  await mkdir(bundleDir(), { recursive: true });
  await build({
    entryPoints: [join(root, entry)],
    outfile: `${outfile}.${process.pid}.tmp.mjs`,
    bundle: true,
    platform: "node",
    target: "node24",
    format: "esm",
    sourcemap: "inline",
    logLevel: "warning",
    external: ["pg-native", "esbuild"],
    banner: {
      js: 'import { createRequire as __harnessRequire } from "node:module"; const require = __harnessRequire(import.meta.url);',
    },
    plugins: [
      {
        // PostgreSQL pods serve on 5432: route postgres-cluster.ts's port helper to the shim.
        name: "pod-port",
        setup(b) {
          b.onResolve({ filter: /^\.\/loopback\.js$/ }, args =>
            args.importer.endsWith(join("tests", "support", "postgres-cluster.ts"))
              ? { path: join(root, "tests", "cluster", "backends", "pod-port.ts") }
              : undefined,
          );
        },
      },
    ],
  });
  await rename(`${outfile}.${process.pid}.tmp.mjs`, outfile);
  return outfile;
}

/** A Go tool of testenv's versions.env (`<tool>-<version>`), built with build-tools.sh when missing. */
export async function ensureGoTool(
  tool: string,
  versionKey: string,
  log: (line: string) => void,
): Promise<string> {
  const testenvDir = join(repoRoot(), "tests", "testenv");
  const env = parseEnvFile(readFileSync(join(testenvDir, "versions.env"), "utf8"));
  const version = env.get(versionKey);
  if (!version) throw new Error(`tests/testenv/versions.env has no ${versionKey}`);
  const binary = join(cacheDir(), "bin", `${tool}-${version}`);
  if (existsSync(binary)) return binary;
  log(`building ${tool} ${version} from the Go module proxy (first run only; takes minutes)`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn("bash", [join(testenvDir, "build-tools.sh"), tool], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (c: Buffer) => log(c.toString("utf8").trimEnd()));
    child.stderr.on("data", (c: Buffer) => log(c.toString("utf8").trimEnd()));
    child.on("error", reject);
    child.on("close", code =>
      code === 0 ? resolve() : reject(new Error(`build-tools.sh ${tool} failed (exit ${code})`)),
    );
  });
  return binary;
}

/** Builds whatever is missing or stale; `log` gets progress lines. */
export async function ensureArtefacts(
  log: (line: string) => void = () => undefined,
): Promise<Artefacts> {
  const root = repoRoot();
  const r = (...p: string[]): string => join(root, ...p);
  await mkdir(r("build"), { recursive: true });
  return withLock(r("build", ".cluster-build.lock"), 15 * 60_000, async () => {
    const hooksExecutable = r("build", "hooks", "swh-hooks");
    if (
      stale(hooksExecutable, [
        r("hooks"),
        r("api"),
        r("packages", "shell-operator-ts-hooks", "src"),
      ])
    ) {
      log("building the hooks executable (node scripts/build-hooks.mjs)");
      await node("scripts/build-hooks.mjs", [], log);
    }
    const agentBundle = r("build", "agent", "agent.mjs");
    if (
      stale(agentBundle, [
        r("images", "agent", "src"),
        r("packages", "kube-client", "src"),
        r("api"),
      ])
    ) {
      log("building the agent (node scripts/build-agent.mjs)");
      await node("scripts/build-agent.mjs", [], log);
    }
    const sources = [
      r("tests", "cluster"),
      r("tests", "support"),
      r("tests", "testenv"),
      r("images", "agent", "src"),
      r("packages", "kube-client", "src"),
      r("packages", "shell-operator-ts-hooks", "src"),
    ];
    const bridgeBundle = join(bundleDir(), "moduleconfig-bridge.mjs");
    if (stale(bridgeBundle, sources))
      await bundleEntry("tests/cluster/deckhouse/bridge-main.ts", "moduleconfig-bridge");
    const backendBundle = join(bundleDir(), "backend.mjs");
    if (stale(backendBundle, sources))
      await bundleEntry("tests/cluster/backends/main.ts", "backend");
    const addonOperator = await ensureGoTool("addon-operator", "ADDON_OPERATOR_VERSION", log);
    return { hooksExecutable, agentBundle, bridgeBundle, backendBundle, addonOperator };
  });
}
