// A child process spoken to in JSON lines: commands go to its stdin, one JSON object per line;
// every line it prints on stdout is parsed and queued, and callers wait for the first message
// that matches. The benchmark's own processes (probe targets, the measured agent driver, the
// instrumented cluster agent) all use this protocol, so the orchestrator can start, mark and read
// them without sharing an event loop with them. Stderr is kept (its tail) for error messages.

import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";

/** A message printed by a child: any JSON object. */
export type Message = Record<string, unknown>;

/** How to start a child. */
export interface ChildCommand {
  readonly file: string;
  readonly args: readonly string[];
  /** Shown in errors. */
  readonly name: string;
  readonly env?: NodeJS.ProcessEnv;
}

const STDERR_TAIL = 4_000;

/** A running child process with a JSON-lines protocol (see file header). */
export class JsonChild {
  readonly process: ChildProcess;
  readonly name: string;
  readonly #inbox: Message[] = [];
  #wake: (() => void) | undefined;
  #stderr = "";
  #exited = false;
  /** Sees every message first; a message it returns true for is consumed, not queued. */
  onMessage: ((message: Message) => boolean) | undefined;

  constructor(command: ChildCommand) {
    this.name = command.name;
    this.process = spawn(command.file, [...command.args], {
      stdio: ["pipe", "pipe", "pipe"],
      env: command.env ?? process.env,
    });
    let pending = "";
    this.process.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      pending += chunk;
      for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (line !== "") this.#receive(line);
      }
    });
    this.process.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_TAIL);
    });
    this.process.stdin?.on("error", () => undefined);
    this.process.on("exit", () => {
      this.#exited = true;
      this.#wake?.();
    });
  }

  /** Process id (throws if the process could not be spawned). */
  get pid(): number {
    const pid = this.process.pid;
    if (pid === undefined) throw new Error(`${this.name} did not start: ${this.#stderr}`);
    return pid;
  }

  /** The last few KB the child wrote to stderr. */
  get stderrTail(): string {
    return this.#stderr;
  }

  /** Sends one command. */
  send(message: Message): void {
    this.process.stdin?.write(`${JSON.stringify(message)}\n`);
  }

  /** Sends `message` and waits for the first message with `reply` as its `event` field. */
  async request(message: Message, reply: string, timeoutMs = 60_000): Promise<Message> {
    this.send(message);
    return this.next(m => m.event === reply, timeoutMs);
  }

  /** Waits for (and removes) the first queued or future message matching `accept`. */
  async next(accept: (message: Message) => boolean, timeoutMs = 60_000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.#inbox.findIndex(accept);
      if (index >= 0) return this.#inbox.splice(index, 1)[0] as Message;
      if (this.#exited) {
        throw new Error(`${this.name} exited (code ${this.process.exitCode}): ${this.#stderr}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: no expected message in ${timeoutMs} ms`);
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** Stops the child: SIGTERM, then SIGKILL after `graceMs`. Idempotent. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.#exited || this.process.exitCode !== null) return;
    const exited = once(this.process, "exit");
    this.process.kill("SIGTERM");
    const timer = setTimeout(() => this.process.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }

  #receive(line: string): void {
    let message: Message;
    try {
      const parsed: unknown = JSON.parse(line);
      message = typeof parsed === "object" && parsed !== null ? (parsed as Message) : { line };
    } catch {
      message = { line };
    }
    if (this.onMessage?.(message) === true) return;
    this.#inbox.push(message);
    this.#wake?.();
  }
}

/** Writes one JSON line to stdout (the child side of the protocol). */
export function emit(message: Message): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** Calls `handle` for each JSON line on stdin (the child side); exits when stdin closes. */
export function onCommands(handle: (command: Message) => void | Promise<void>): void {
  let pending = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk: string) => {
    pending += chunk;
    for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line === "") continue;
      Promise.resolve(handle(JSON.parse(line) as Message)).catch((error: unknown) => {
        emit({ event: "error", message: error instanceof Error ? error.message : String(error) });
      });
    }
  });
  process.stdin.on("end", () => process.exit(0));
}
