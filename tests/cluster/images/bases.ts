// The base images the recipes stand on, as Debian packages plus files: `static` stands in for
// gcr.io/distroless/static-debian12:nonroot (CA certificates, time zones, passwd/group, /tmp)
// and `node` for gcr.io/distroless/nodejs24-debian12:nonroot (static, plus the packages of
// Node's shared libraries and the project's pinned Node 24 binary at /nodejs/bin/node). Also
// the inputs the recipes bundle: the agent and the backend daemon, rebuilt when stale, under the
// harness's build lock so they never race tests/cluster/builds.ts.
import { realpathSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { withLock } from "../../testenv/lock.js";
import { bundleEntry, newestMtime } from "../builds.js";
import { bundleDir, nodeBinary, repoRoot } from "../layout.js";
import { libraryPackages, writeAccounts, writeCaBundle } from "./debian-rootfs.js";
import type { Ownership } from "./oci.js";
import { runTool } from "./proc.js";
import { putCopy } from "./rootfs-files.js";

/** distroless's environment. */
export const BASE_ENV = [
  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
] as const;

/** distroless nonroot's working directory. */
export const BASE_WORKDIR = "/home/nonroot";

/** Where the node base puts Node (distroless nodejs's path). */
export const IMAGE_NODE = "/nodejs/bin/node";

/** The data packages of a distroless base (the CA bundle is generated, not scripted). */
export const STATIC_PACKAGES = ["ca-certificates", "tzdata"] as const;

/** The host's Node 24 binary the node base carries (symlinks resolved). */
export function hostNode(): string {
  return realpathSync(nodeBinary());
}

/** Packages of the node base: static's plus those of Node's (and `extra`'s) libraries. */
export async function nodePackages(extraBinaries: readonly string[] = []): Promise<string[]> {
  const libs = await libraryPackages([hostNode(), ...extraBinaries]);
  return [...new Set([...STATIC_PACKAGES, ...libs])].sort();
}

/** Files of the static base on top of its extracted packages; returns their ownership. */
export async function populateStatic(rootfs: string): Promise<Ownership[]> {
  await writeCaBundle(rootfs);
  return writeAccounts(rootfs);
}

/** Files of the node base on top of its extracted packages; returns their ownership. */
export async function populateNode(rootfs: string): Promise<Ownership[]> {
  const owned = await populateStatic(rootfs);
  await putCopy(rootfs, hostNode(), IMAGE_NODE.slice(1), 0o755);
  return owned;
}

function r(...parts: string[]): string {
  return join(repoRoot(), ...parts);
}

async function underBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  await mkdir(r("build"), { recursive: true });
  return withLock(r("build", ".cluster-build.lock"), 15 * 60_000, fn);
}

/** build/agent/agent.mjs, rebuilt with `node scripts/build.mjs agent` when its sources are newer. */
export async function ensureAgentBundle(log: (line: string) => void): Promise<string> {
  const bundle = r("build", "agent", "agent.mjs");
  const sources = [r("images", "agent", "src"), r("packages", "kube-client", "src"), r("api")];
  return underBuildLock(async () => {
    if (newestMtime([bundle]) < newestMtime(sources)) {
      log("building the agent bundle (node scripts/build.mjs agent)");
      await runTool(nodeBinary(), [r("scripts", "build.mjs"), "agent"], { cwd: repoRoot() });
    }
    return bundle;
  });
}

/** build/cluster/backend.mjs (tests/cluster/backends/main.ts bundled), rebuilt when stale. */
export async function ensureBackendBundle(log: (line: string) => void): Promise<string> {
  const bundle = join(bundleDir(), "backend.mjs");
  const sources = [
    r("tests", "cluster", "backends"),
    r("tests", "support"),
    r("packages", "kube-client", "src"),
  ];
  return underBuildLock(async () => {
    if (newestMtime([bundle]) < newestMtime(sources)) {
      log("bundling the backend daemon (tests/cluster/backends/main.ts)");
      await bundleEntry("tests/cluster/backends/main.ts", "backend");
    }
    return bundle;
  });
}
