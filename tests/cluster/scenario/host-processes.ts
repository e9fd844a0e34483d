// The processes of a box's real nodes as the host sees them: a container's processes are host
// processes in the node's cgroup tree, so a test can read what runc made of a pod's
// securityContext (user, capabilities, no_new_privs, a read-only root) straight from /proc.
import { readFileSync, readdirSync } from "node:fs";

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/**
 * Host processes of this box's nodes (their cgroup lies under a node's cgroup parent, named
 * after the node's network namespace) whose command line contains `needle`: the containers'
 * processes are visible from the host.
 */
export function hostProcesses(needle: string, cgroupParents: readonly string[]): number[] {
  const read = readOrEmpty;
  return readdirSync("/proc")
    .filter(e => /^\d+$/.test(e))
    .filter(pid => read(`/proc/${pid}/cmdline`).split("\0").includes(needle))
    .filter(pid =>
      cgroupParents.some(parent => read(`/proc/${pid}/cgroup`).includes(`:${parent}/`)),
    )
    .map(Number);
}

/** The `Name:\tvalue` fields of /proc/<pid>/status. */
export function procStatus(pid: number): Map<string, string> {
  const lines = readFileSync(`/proc/${pid}/status`, "utf8").split("\n");
  return new Map(lines.map(l => [l.split(":")[0] ?? "", l.slice(l.indexOf(":") + 1).trim()]));
}

/** The mount options of a process's root (`/`), from its mountinfo. */
export function rootMountOptions(pid: number): string[] {
  const line = readFileSync(`/proc/${pid}/mountinfo`, "utf8")
    .split("\n")
    .find(l => l.split(" ")[4] === "/");
  return (line?.split(" ")[5] ?? "").split(",");
}
