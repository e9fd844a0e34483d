// What the hooks said, read back from the operator stand-in's log: it logs every line a hook
// prints as a `hook output` entry (at debug level, which the scenario worlds use), one JSON
// object per line wrapping the hook's own JSON log line. Scenarios use it as evidence in a
// failure message (e.g. which nodes the fencing hook declared dead, and when).
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
  readonly msg?: string;
  readonly hook?: string;
  readonly line?: string;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function entryOf(raw: string): HookLogEntry | undefined {
  const outer = parseJson(raw) as OperatorLine | undefined;
  if (outer?.msg !== "hook output" || !outer.line || !outer.time || !outer.hook) return undefined;
  const inner = parseJson(outer.line) as Record<string, unknown> | undefined;
  if (!inner || typeof inner.msg !== "string") return undefined;
  const { msg, ...fields } = inner;
  return { at: Date.parse(outer.time), hook: outer.hook, msg, fields };
}

/**
 * The hook log lines in an operator log's text logged at or after `since` whose message
 * contains `msg`. Lines that are not hook output (or not JSON) are skipped.
 */
export function hookLogEntries(text: string, msg: string, since: number): HookLogEntry[] {
  const out: HookLogEntry[] = [];
  for (const raw of text.split("\n")) {
    const entry = entryOf(raw);
    if (entry && entry.at >= since && entry.msg.includes(msg)) out.push(entry);
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
