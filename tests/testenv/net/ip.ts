// iproute2 from TypeScript (root only): `ip` with errors that carry the command and its stderr,
// its JSON output parsed, and the two questions the harness asks the machine: which routes exist
// and which network namespaces.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Runs `ip <args>` and returns stdout; errors carry the command and its stderr. */
export async function ip(args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run("ip", [...args], { timeout: 30_000 });
    return stdout;
  } catch (err) {
    const stderr = ((err as { stderr?: string }).stderr ?? "").trim();
    throw new Error(`ip ${args.join(" ")} failed: ${stderr || String(err)}`, { cause: err });
  }
}

/** Parses `ip -j ...` output (empty output means an empty list). */
export function parseJsonList(text: string): Record<string, unknown>[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  return JSON.parse(trimmed) as Record<string, unknown>[];
}

/** Destinations of every route in the root namespace, both families. */
export async function routedDestinations(): Promise<string[]> {
  const v4 = parseJsonList(await ip(["-j", "route", "show", "table", "all"]));
  const v6 = parseJsonList(await ip(["-j", "-6", "route", "show", "table", "all"]).catch(() => ""));
  return [...v4, ...v6].map(r => (typeof r.dst === "string" ? r.dst : "")).filter(d => d !== "");
}

/** Names of the network namespaces that exist. */
export async function netnsNames(): Promise<string[]> {
  return parseJsonList(await ip(["-j", "netns", "list"])).map(n => String(n.name));
}
