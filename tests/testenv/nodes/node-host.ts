// What a real node leaves on the host besides processes, and how it is prepared and cleaned:
// its cgroup parent in every cgroup v1 hierarchy (kubelet's cgroupRoot must exist; cpuset needs
// its cpus and mems copied from the parent before a task may join), the mounts the kubelet makes
// under its root dir (pod volumes, the shared bind of the root dir itself), and the pods' network
// namespaces containerd mounts under /run/netns.
import { existsSync, readdirSync, readFileSync, rmdirSync, statSync } from "node:fs";
import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);
const CGROUP_MOUNT = "/sys/fs/cgroup";

/** Every cgroup hierarchy of this host: the v1 controllers and, on a hybrid host, `unified`. */
function hierarchies(): string[] {
  if (!existsSync(CGROUP_MOUNT)) return [];
  return readdirSync(CGROUP_MOUNT)
    .map(name => join(CGROUP_MOUNT, name))
    .filter(path => existsSync(join(path, "cgroup.procs")));
}

/** The v1 hierarchies (runc places a container's processes in `unified` itself). */
function v1Hierarchies(): string[] {
  return hierarchies().filter(path => !path.endsWith("/unified"));
}

/** Creates the node's cgroup parent in every v1 hierarchy. */
export async function createCgroupRoot(cgroupRoot: string): Promise<void> {
  for (const hierarchy of v1Hierarchies()) {
    const dir = join(hierarchy, cgroupRoot);
    await mkdir(dir, { recursive: true });
    if (hierarchy.endsWith("/cpuset")) {
      for (const file of ["cpuset.cpus", "cpuset.mems"]) {
        await copyFile(join(hierarchy, file), join(dir, file));
      }
    }
  }
}

/** A cgroup being removed (by the kubelet, say) answers ENOENT or ENODEV: nothing there. */
function gone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENODEV";
}

function readGone(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    if (gone(err)) return "";
    throw err;
  }
}

function readdirGone(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if (gone(err)) return [];
    throw err;
  }
}

/** The pids of every process in the node's cgroup tree (its pods' containers). */
export function cgroupPids(cgroupRoot: string): number[] {
  const pids = new Set<number>();
  const visit = (dir: string): void => {
    for (const pid of readGone(join(dir, "cgroup.procs")).split("\n")) {
      if (pid) pids.add(Number(pid));
    }
    for (const entry of readdirGone(dir)) {
      const child = join(dir, entry);
      if (statSync(child, { throwIfNoEntry: false })?.isDirectory()) visit(child);
    }
  };
  for (const hierarchy of hierarchies()) {
    const dir = join(hierarchy, cgroupRoot);
    if (existsSync(dir)) visit(dir);
  }
  return [...pids];
}

/** Removes the node's cgroup tree, deepest first; fails when a cgroup still holds a task. */
export function removeCgroupRoot(cgroupRoot: string): void {
  const remove = (dir: string): void => {
    for (const entry of readdirGone(dir)) {
      const child = join(dir, entry);
      if (statSync(child, { throwIfNoEntry: false })?.isDirectory()) remove(child);
    }
    try {
      rmdirSync(dir);
    } catch (err) {
      if (!gone(err)) throw err;
    }
  };
  for (const hierarchy of hierarchies()) {
    const dir = join(hierarchy, cgroupRoot);
    if (existsSync(dir)) remove(dir);
  }
}

/** Mount points at or under `dir`, deepest first (so each unmounts before its parent). */
export function mountsUnder(
  dir: string,
  mountsText = readFileSync("/proc/mounts", "utf8"),
): string[] {
  const points = mountsText
    .split("\n")
    .map(line => line.split(" ")[1] ?? "")
    .map(point => point.replace(/\\040/g, " "))
    .filter(point => point === dir || point.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length || b.localeCompare(a));
}

/** Unmounts everything at or under `dir` (lazily: a busy mount goes once its last user does). */
export async function unmountUnder(dir: string): Promise<void> {
  for (const point of mountsUnder(dir)) {
    await run("umount", ["-l", point]).catch(() => undefined);
  }
}

/** Unmounts and deletes pod network namespaces (`/run/netns/cni-…`) named in `paths`. */
export async function removeSandboxNetns(paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    const name = path.split("/").pop() ?? "";
    if (!/^cni-[0-9a-f-]+$/.test(name)) continue;
    await run("ip", ["netns", "delete", name]).catch(() => undefined);
  }
}
