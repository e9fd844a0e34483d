// Makes sure the box's binaries exist in the tool cache, building them with build-tools.sh
// (Go, from the Go module proxy) the first time. Fast when cached: it only checks files.
import { spawn } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { join } from "node:path";
import { cacheDir, testenvSourceDir, toolBinary, toolVersions, type ToolName } from "./layout.js";

/** Paths of the box's binaries. */
export type ToolPaths = Readonly<Record<ToolName, string>>;

const BOX_TOOLS: readonly ToolName[] = ["etcd", "kube-apiserver", "kube-controller-manager"];
const TOOLS: readonly ToolName[] = [
  ...BOX_TOOLS,
  "kube-scheduler",
  "kubelet",
  "kube-proxy",
  "cni-plugins",
  "coredns",
];

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function runBuildScript(
  script: string,
  tools: readonly ToolName[],
  log: NodeJS.WritableStream,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [script, ...tools], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on("error", reject);
    child.on("close", code => resolve(code ?? 1));
  });
}

/**
 * Returns the binaries' paths, building the missing ones among `needed` first. Build output goes
 * to `log` (stderr by default). Throws with the reason when a build fails (e.g. Go is missing).
 */
export async function ensureTools(
  needed: readonly ToolName[] = BOX_TOOLS,
  log: NodeJS.WritableStream = process.stderr,
): Promise<ToolPaths> {
  const versions = toolVersions();
  const cache = cacheDir();
  const paths = Object.fromEntries(TOOLS.map(t => [t, toolBinary(t, versions, cache)])) as Record<
    ToolName,
    string
  >;
  const missing: ToolName[] = [];
  for (const tool of needed) if (!(await executable(paths[tool]))) missing.push(tool);
  if (missing.length === 0) return paths;
  const script = join(testenvSourceDir(), "build-tools.sh");
  log.write(`testenv: building ${missing.join(", ")} (first run; takes minutes)\n`);
  const code = await runBuildScript(script, missing, log);
  if (code === 2) {
    throw new Error(
      "testenv: Go is not installed (build-tools.sh needs `go` >= 1.26 on PATH to build " +
        `etcd ${versions.etcd} and Kubernetes ${versions.kubernetes})`,
    );
  }
  if (code !== 0) {
    throw new Error(
      `testenv: ${script} ${missing.join(" ")} failed (exit ${code}); see ${join(cache, "logs")}`,
    );
  }
  return paths;
}
