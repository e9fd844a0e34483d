// The benchmark's own setup step: the Debian packages its parts need, installed on first use
// when missing (as root, with apt-get), so `npm run bench` works on a fresh machine without
// adding benchmark-only packages to the project's test setup (scripts/setup.sh).

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** A tool the suite runs, how to detect it and the Debian package that provides it. */
interface Tool {
  readonly name: string;
  readonly present: () => boolean;
  readonly debianPackage: string;
}

function onPath(command: string): () => boolean {
  return () => spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/** Every tool a part may need. */
export const TOOLS = {
  haproxy: { name: "haproxy", present: onPath("haproxy"), debianPackage: "haproxy" },
  rsvg: { name: "rsvg-convert", present: onPath("rsvg-convert"), debianPackage: "librsvg2-bin" },
  fonts: {
    name: "DejaVu fonts",
    present: () => existsSync("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    debianPackage: "fonts-dejavu-core",
  },
  jq: { name: "jq", present: onPath("jq"), debianPackage: "jq" },
  time: {
    name: "/usr/bin/time",
    present: () => existsSync("/usr/bin/time"),
    debianPackage: "time",
  },
  taskset: { name: "taskset", present: onPath("taskset"), debianPackage: "util-linux" },
  ip: { name: "ip", present: onPath("ip"), debianPackage: "iproute2" },
  openssl: { name: "openssl", present: onPath("openssl"), debianPackage: "openssl" },
  postgres: {
    name: "PostgreSQL",
    present: () => onPath("pg_ctl")() || existsSync("/usr/lib/postgresql"),
    debianPackage: "postgresql",
  },
} as const satisfies Record<string, Tool>;

/** Name of a tool in TOOLS. */
export type ToolName = keyof typeof TOOLS;

/**
 * Installs the Debian packages of the missing `tools` (apt-get, as root); throws naming what is
 * missing when it cannot. Returns the packages it installed.
 */
export function ensureTools(tools: readonly ToolName[], log: (line: string) => void): string[] {
  const missing = [...new Set(tools)].map(t => TOOLS[t]).filter(t => !t.present());
  if (missing.length === 0) return [];
  const packages = [...new Set(missing.map(t => t.debianPackage))];
  if (process.getuid?.() !== 0) {
    throw new Error(
      `missing ${missing.map(t => t.name).join(", ")}: install the Debian packages ${packages.join(" ")}`,
    );
  }
  log(`installing Debian packages: ${packages.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  try {
    execFileSync("apt-get", ["update", "-qq"], { stdio: "ignore", env });
    execFileSync("apt-get", ["install", "-y", "-qq", ...packages], { stdio: "ignore", env });
  } catch (error) {
    throw new Error(`apt-get install ${packages.join(" ")} failed`, { cause: error });
  }
  const still = missing.filter(t => !t.present());
  if (still.length > 0)
    throw new Error(`still missing after install: ${still.map(t => t.name).join(", ")}`);
  return packages;
}

/** First line of `command --version`-like output, or undefined. */
export function toolVersion(command: string, args: readonly string[]): string | undefined {
  const result = spawnSync(command, [...args], { encoding: "utf8" });
  if (result.status !== 0) return undefined;
  const text = `${result.stdout}${result.stderr}`.trim();
  return text.split("\n")[0];
}
