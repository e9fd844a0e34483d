// jq for the operator stand-in: bindings' jqFilters and JQPatch operations run through the jq
// binary (Debian's `jq`), as addon-operator runs them through libjq. A binding keeps one jq
// process alive and feeds it one object per line, so a thousand objects cost one process, not a
// thousand. Each input is wrapped so it yields exactly one output line, even when the filter
// errors or produces zero or several values, keeping requests and answers in step.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";

/** Marks a filter error inside the one-line answer. */
const ERROR_KEY = "__swhJqError";

/** The program fed to jq: always one JSON array per input (filter outputs, or an error). */
export function wrapFilter(filter: string): string {
  return `. as $__swhIn | [try ($__swhIn | (${filter})) catch {"${ERROR_KEY}": (. | tostring)}]`;
}

/** Interprets one answer line: one output → it; none → null; several → their array. */
export function interpretAnswer(line: string): unknown {
  const outputs = JSON.parse(line) as unknown[];
  const last = outputs[outputs.length - 1];
  if (typeof last === "object" && last !== null && ERROR_KEY in last) {
    throw new Error(`jq: ${String((last as Record<string, unknown>)[ERROR_KEY])}`);
  }
  if (outputs.length === 0) return null;
  return outputs.length === 1 ? outputs[0] : outputs;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/** A long-lived jq process applying one filter (see file header). */
export class JqFilter {
  readonly #filter: string;
  readonly #jq: string;
  #child: ChildProcessWithoutNullStreams | undefined;
  #pending: Pending[] = [];
  #stderr = "";

  constructor(filter: string, jqPath = "jq") {
    this.#filter = filter;
    this.#jq = jqPath;
  }

  /** Applies the filter to `input`. Calls are answered in order. */
  apply(input: unknown): Promise<unknown> {
    const child = this.#process();
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      child.stdin.write(`${JSON.stringify(input)}\n`);
    });
  }

  /** Ends the jq process; pending calls fail. */
  close(): void {
    this.#child?.stdin.end();
    this.#child?.kill();
    this.#child = undefined;
  }

  #process(): ChildProcessWithoutNullStreams {
    if (this.#child) return this.#child;
    const child = spawn(this.#jq, ["-c", "--unbuffered", wrapFilter(this.#filter)], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.#child = child;
    this.#stderr = "";
    child.stdin.on("error", () => undefined);
    child.stderr.on("data", (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString("utf8")).slice(-2000);
    });
    createInterface({ input: child.stdout }).on("line", line => this.#answer(line));
    child.on("error", err =>
      this.#failAll(child, new Error(`cannot run ${this.#jq}`, { cause: err })),
    );
    child.on("exit", code => {
      const why = this.#stderr.trim() || `exit code ${String(code)}`;
      this.#failAll(child, new Error(`jq exited: ${why}`));
    });
    return child;
  }

  #answer(line: string): void {
    const waiter = this.#pending.shift();
    if (!waiter) return;
    try {
      waiter.resolve(interpretAnswer(line));
    } catch (err) {
      waiter.reject(err as Error);
    }
  }

  #failAll(child: ChildProcessWithoutNullStreams, err: Error): void {
    if (this.#child === child) this.#child = undefined;
    const pending = this.#pending;
    this.#pending = [];
    for (const waiter of pending) waiter.reject(err);
  }
}

/** Applies `filter` to `input` once, in a jq process of its own (for JQPatch). */
export async function jqOnce(filter: string, input: unknown, jqPath = "jq"): Promise<unknown> {
  const jq = new JqFilter(filter, jqPath);
  try {
    return await jq.apply(input);
  } finally {
    jq.close();
  }
}
