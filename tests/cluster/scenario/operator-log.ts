// What the hooks said, read back from addon-operator's JSON log: it re-logs every JSON line a hook
// prints on stderr or stdout as one of its own entries, with the hook's message as `msg`, the
// hook's other fields prefixed `hook_`, `output` naming the stream and `hook` naming the hook as
// `hooks/<executable>:<name>:<index>`. Scenarios use it as evidence in a failure message (e.g.
// which nodes the fencing hook declared dead, and when) and to prove a hook ran.
import { readFile } from "node:fs/promises";

/** One log line a hook printed. */
export interface HookLogEntry {
  /** When the operator logged it (ms since the epoch). */
  readonly at: number;
  readonly hook: string;
  /** The hook's own log message. */
  readonly msg: string;
  /** Every other field of the hook's line (node, reason, count, slices...). */
  readonly fields: Readonly<Record<string, unknown>>;
}

interface OperatorLine {
  readonly time?: string;
  readonly msg?: unknown;
  readonly hook?: string;
  readonly output?: string;
  readonly [field: string]: unknown;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `endpointslice-gc` of `hooks/swh-hooks:endpointslice-gc:4`. */
function hookName(hook: string): string {
  return hook.split(":")[1] ?? hook;
}

function entryOf(raw: string): HookLogEntry | undefined {
  const line = parseJson(raw) as OperatorLine | undefined;
  if (line?.output !== "stderr" && line?.output !== "stdout") return undefined;
  if (!line.hook || !line.time || typeof line.msg !== "string") return undefined;
  const fields = Object.fromEntries(
    Object.entries(line)
      .filter(([key]) => key.startsWith("hook_"))
      .map(([key, value]) => [key.slice("hook_".length), value]),
  );
  return { at: Date.parse(line.time), hook: hookName(line.hook), msg: line.msg, fields };
}

/**
 * The hook log lines in an operator log's text logged at or after `since` (to the second) whose
 * message contains `msg`. Lines that are not hook output (or not JSON) are skipped.
 */
export function hookLogEntries(text: string, msg: string, since: number): HookLogEntry[] {
  // addon-operator logs whole seconds: a line of the second `since` falls in may be after it.
  const from = Math.floor(since / 1000) * 1000;
  const out: HookLogEntry[] = [];
  for (const raw of text.split("\n")) {
    const entry = entryOf(raw);
    if (entry && entry.at >= from && entry.msg.includes(msg)) out.push(entry);
  }
  return out;
}

/** hookLogEntries of the operator log file `logFile`. */
export async function readHookLog(
  logFile: string,
  msg: string,
  since: number,
): Promise<HookLogEntry[]> {
  try {
    return hookLogEntries(await readFile(logFile, "utf8"), msg, since);
  } catch (err) {
    throw new Error(`reading the operator log ${logFile} failed`, { cause: err });
  }
}
