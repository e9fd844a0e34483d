// The module's container images and the test cluster's, each defined from the repository's own
// definition where one exists: the agent image from images/agent/Dockerfile's final stage (its
// COPY --chown, USER and ENTRYPOINT), on a stand-in for distroless nodejs24; kube-rbac-proxy
// (the agent pod's metrics sidecar) from the upstream binary tests/testenv/build-tools.sh builds
// at the version versions.env pins, run by our kube-rbac-proxy-adapter (Go), which takes the
// command line of Deckhouse's fork that the chart passes; the pod sandbox `pause` from our own
// pause.c; and `backends`, the harness's backend daemon with Debian's PostgreSQL 15 server
// binaries. A recipe plans (inputs, packages, config) cheaply; build.ts fingerprints the plan and
// populates the rootfs only when it changed.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chmod, copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureGoTool } from "../builds.js";
import { repoRoot } from "../layout.js";
import * as base from "./bases.js";
import { isStatic, libraryPackages, packagesOwning } from "./debian-rootfs.js";
import { contextPath, parseDockerfile, type ParsedDockerfile } from "./dockerfile.js";
import type { ImageConfig, Ownership } from "./oci.js";
import { runTool } from "./proc.js";
import { prune, putCopy, putSymlink } from "./rootfs-files.js";

/** What one image is made of, known before anything is built. */
export interface ImagePlan {
  /** Debian packages extracted into the rootfs, by name. */
  readonly packages: readonly string[];
  /** Host files copied or compiled into the image: their contents feed the fingerprint. */
  readonly inputs: readonly string[];
  readonly config: ImageConfig;
  /** Anything else the image depends on (tool versions), for the fingerprint. */
  readonly notes: readonly string[];
  /** Adds the image's files on top of the packages; returns paths with owners of their own. */
  populate(rootfs: string): Promise<Ownership[]>;
}

/** One image. */
export interface Recipe {
  readonly name: string;
  readonly ref: string;
  plan(log: (line: string) => void): Promise<ImagePlan>;
}

const REGISTRY = "swh.local";

/** images/agent/Dockerfile, parsed. */
export function agentDockerfile(root = repoRoot()): ParsedDockerfile {
  return parseDockerfile(readFileSync(join(root, "images", "agent", "Dockerfile"), "utf8"));
}

/** Copies the Dockerfile's final-stage COPYs from the build context; returns their owners. */
async function applyCopies(parsed: ParsedDockerfile, rootfs: string): Promise<Ownership[]> {
  const owned: Ownership[] = [];
  for (const copy of parsed.final.copies) {
    if (copy.sources.length !== 1 || copy.destination.endsWith("/"))
      throw new Error("only single-file COPYs to a file path are supported");
    const source = join(repoRoot(), contextPath(parsed, copy, copy.sources[0] ?? ""));
    const dest = copy.destination.replace(/^\/+/, "");
    await putCopy(rootfs, source, dest, 0o644);
    if (copy.chown) owned.push({ path: dest, ...copy.chown });
  }
  return owned;
}

const agent: Recipe = {
  name: "agent",
  ref: `${REGISTRY}/modules/agent:dev`,
  async plan(log) {
    await base.ensureAgentBundle(log);
    const parsed = agentDockerfile();
    const { final } = parsed;
    if (!final.entrypoint || !final.user) throw new Error("the agent's final stage needs both");
    const inputs = final.copies.flatMap(c =>
      c.sources.map(s => join(repoRoot(), contextPath(parsed, c, s))),
    );
    return {
      packages: await base.nodePackages(),
      inputs: [base.hostNode(), join(repoRoot(), "images", "agent", "Dockerfile"), ...inputs],
      config: {
        user: final.user,
        entrypoint: final.entrypoint,
        ...(final.cmd ? { cmd: final.cmd } : {}),
        env: [...base.BASE_ENV, ...final.env],
        workingDir: final.workdir ?? base.BASE_WORKDIR,
      },
      notes: [`base ${final.base}`],
      async populate(rootfs) {
        return [...(await base.populateNode(rootfs)), ...(await applyCopies(parsed, rootfs))];
      },
    };
  },
};

/** kube-rbac-proxy-adapter/: Deckhouse's kube-rbac-proxy interface mapped onto upstream's. */
function adapterDir(): string {
  return join(repoRoot(), "tests", "cluster", "images", "kube-rbac-proxy-adapter");
}

/** What the adapter's binary is built from: its Go sources (not its tests), go.mod, go.sum. */
function adapterSources(): string[] {
  const isSource = (f: string) =>
    (f.endsWith(".go") && !f.endsWith("_test.go")) || f === "go.mod" || f === "go.sum";
  return readdirSync(adapterDir())
    .filter(isSource)
    .sort()
    .map(f => join(adapterDir(), f));
}

/** Builds the adapter, static and stripped, into `out` (Go of PATH; modules from the proxy). */
export async function compileAdapter(out: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "swh-krp-adapter-"));
  try {
    const binary = join(dir, "kube-rbac-proxy-adapter");
    const args = ["build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", binary, "."];
    await runTool("go", args, {
      cwd: adapterDir(),
      env: { ...process.env, CGO_ENABLED: "0", GOTOOLCHAIN: "local", GOFLAGS: "-mod=readonly" },
    });
    if (!(await isStatic(binary))) throw new Error("go build gave a dynamic adapter");
    await copyFile(binary, out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const kubeRbacProxy: Recipe = {
  name: "kube-rbac-proxy",
  ref: `${REGISTRY}/modules/kube-rbac-proxy:dev`,
  async plan(log) {
    const binary = await ensureGoTool("kube-rbac-proxy", "KUBE_RBAC_PROXY_VERSION", log);
    if (!(await isStatic(binary)))
      throw new Error(`${binary} is dynamically linked; build it with CGO_ENABLED=0`);
    const go = (await runTool("go", ["version"])).stdout.trim();
    return {
      packages: [...base.STATIC_PACKAGES],
      inputs: [binary, ...adapterSources()],
      config: {
        user: "65532",
        entrypoint: ["/kube-rbac-proxy-adapter"],
        env: [...base.BASE_ENV],
        workingDir: base.BASE_WORKDIR,
      },
      notes: [go],
      async populate(rootfs) {
        await putCopy(rootfs, binary, "kube-rbac-proxy", 0o755);
        await compileAdapter(join(rootfs, "kube-rbac-proxy-adapter"));
        await chmod(join(rootfs, "kube-rbac-proxy-adapter"), 0o755);
        return base.populateStatic(rootfs);
      },
    };
  },
};

/** Compiles pause.c statically into `out`. */
export async function compilePause(out: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "swh-pause-"));
  try {
    await copyFile(join(repoRoot(), "tests", "cluster", "images", "pause.c"), join(dir, "pause.c"));
    await runTool("gcc", ["-static", "-Os", "-o", "pause", "pause.c"], { cwd: dir });
    if (!(await isStatic(join(dir, "pause")))) throw new Error("gcc -static gave a dynamic pause");
    await copyFile(join(dir, "pause"), out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const pause: Recipe = {
  name: "pause",
  ref: `${REGISTRY}/pause:3.10`,
  async plan() {
    const gcc = (await runTool("gcc", ["--version"])).stdout.split("\n")[0] ?? "";
    const libc = (await runTool("dpkg-query", ["-W", "libc6-dev"])).stdout.trim();
    return {
      packages: [],
      inputs: [join(repoRoot(), "tests", "cluster", "images", "pause.c")],
      config: { user: "65535:65535", entrypoint: ["/pause"], env: [], workingDir: "/" },
      notes: [gcc, libc],
      async populate(rootfs) {
        await compilePause(join(rootfs, "pause"));
        await chmod(join(rootfs, "pause"), 0o755);
        return [];
      },
    };
  },
};

/** Debian's PostgreSQL 15 server: what the backends' PostgresCluster runs. */
const PG = "/usr/lib/postgresql/15";
const PG_BINARIES = ["postgres", "initdb", "pg_ctl", "pg_basebackup", "pg_isready"];
/** postgres finds its share dir (catalog templates, time zone sets) here; initdb needs it. */
const PG_SHARE_MARKER = "/usr/share/postgresql/15/postgres.bki";
/** Server modules PostgreSQL loads by itself (initdb, streaming replication). */
const PG_MODULES = ["plpgsql.so", "dict_snowball.so", "libpqwalreceiver.so", "pgoutput.so"];
/** initdb and pg_ctl run the server through /bin/sh; the reaper watchdog is a sh script. */
const SHELL_BINARIES = ["/bin/dash", "/bin/sleep", "/bin/rm"];

const backends: Recipe = {
  name: "backends",
  ref: `${REGISTRY}/modules/backends:dev`,
  async plan(log) {
    const bundle = await base.ensureBackendBundle(log);
    const pgFiles = [
      ...PG_BINARIES.map(b => join(PG, "bin", b)),
      ...PG_MODULES.map(m => join(PG, "lib", m)),
    ];
    // The packages of the files themselves (postgresql-15, postgresql-client-15 for
    // pg_basebackup and pg_isready, dash, coreutils) and of the libraries they load.
    const owners = await packagesOwning([...pgFiles, ...SHELL_BINARIES]);
    const extra = [...owners, ...(await libraryPackages([...pgFiles, ...SHELL_BINARIES]))];
    return {
      packages: [...new Set([...(await base.nodePackages()), ...extra])].sort(),
      inputs: [base.hostNode(), bundle],
      config: {
        user: "64535:64535",
        entrypoint: [base.IMAGE_NODE, "/backends/main.mjs"],
        env: [...base.BASE_ENV],
        workingDir: "/home/deckhouse",
      },
      notes: [`postgresql ${PG}`],
      async populate(rootfs) {
        const owned = await base.populateNode(rootfs);
        await putCopy(rootfs, bundle, "backends/main.mjs", 0o644);
        await putSymlink(rootfs, "bin/sh", "dash");
        for (const f of [...pgFiles, PG_SHARE_MARKER])
          if (!existsSync(join(rootfs, f))) throw new Error(`backends image lacks ${f}`);
        // No LLVM in the image: without llvmjit, PostgreSQL runs with JIT unavailable.
        await prune(rootfs, [
          `${PG}/lib/llvmjit.so`,
          `${PG}/lib/llvmjit_types.bc`,
          `${PG}/lib/bitcode`,
        ]);
        return owned;
      },
    };
  },
};

/** Every image, by name. */
export const RECIPES: ReadonlyMap<string, Recipe> = new Map(
  [agent, kubeRbacProxy, pause, backends].map(r => [r.name, r]),
);

/** The recipe called `name`. */
export function recipe(name: string): Recipe {
  const found = RECIPES.get(name);
  if (!found) throw new Error(`no image recipe ${name} (known: ${[...RECIPES.keys()].join(", ")})`);
  return found;
}
