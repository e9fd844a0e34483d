// The Node.js flags the agent image starts the agent with, read from the image's own recipe
// (images/agent/Dockerfile, ENTRYPOINT), so the benchmark measures the agent as shipped and a
// change of the flags there is measured without touching the suite. The parser is pure.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./paths.js";

/** The agent image's Dockerfile. */
export const AGENT_DOCKERFILE = join(REPO_ROOT, "images", "agent", "Dockerfile");

/**
 * The arguments between the node binary and the script of an exec-form `ENTRYPOINT [...]`
 * line (the last one wins, as in Docker), e.g. `["--max-semi-space-size=2"]`.
 */
export function entrypointNodeFlags(dockerfile: string): string[] {
  const lines = dockerfile.split("\n").filter(line => /^\s*ENTRYPOINT\s+\[/i.test(line));
  const last = lines.at(-1);
  if (last === undefined) throw new Error("no exec-form ENTRYPOINT in the agent's Dockerfile");
  let argv: unknown;
  try {
    argv = JSON.parse(last.replace(/^\s*ENTRYPOINT\s+/i, ""));
  } catch (error) {
    throw new Error(`unparsable ENTRYPOINT: ${last.trim()}`, { cause: error });
  }
  if (!Array.isArray(argv) || !argv.every(a => typeof a === "string") || argv.length < 2) {
    throw new Error(`ENTRYPOINT is not [node, ...flags, script]: ${last.trim()}`);
  }
  return argv.slice(1, -1);
}

/** The shipped agent's Node.js flags (reads images/agent/Dockerfile). */
export function shippedNodeFlags(): string[] {
  let text: string;
  try {
    text = readFileSync(AGENT_DOCKERFILE, "utf8");
  } catch (error) {
    throw new Error(`cannot read ${AGENT_DOCKERFILE}`, { cause: error });
  }
  return entrypointNodeFlags(text);
}
