// Runs the bundled agent (build/agent/agent.mjs) as a real process for end-to-end tests: builds
// the bundle into a temp dir (so the test runs what ships, with no node_modules beside it),
// starts it with a kubeconfig, collects its JSON log lines, finds its ops ports, reads its
// metrics, and stops it with SIGTERM or SIGKILL.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ROOT } from "./cluster.js";

/** Node 24 from the `node` devDependency. */
export const NODE = join(ROOT, "node_modules", ".bin", "node");

/** Builds the agent bundle and copies it alone into a fresh temp dir; returns its path. */
export function buildAgentBundle(): string {
  const out = mkdtempSync(join(tmpdir(), "swh-agent-bundle-"));
  const result = spawnSync(NODE, [join(ROOT, "scripts", "build-agent.mjs"), "--outdir", out], {
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`agent build failed: ${result.stderr}`);
  const alone = mkdtempSync(join(tmpdir(), "swh-agent-run-"));
  copyFileSync(join(out, "agent.mjs"), join(alone, "agent.mjs"));
  rmSync(out, { recursive: true, force: true });
  return join(alone, "agent.mjs");
}

/** Removes a bundle made by buildAgentBundle. */
export function removeAgentBundle(bundle: string): void {
  rmSync(dirname(bundle), { recursive: true, force: true });
}

/** One JSON log line. */
export type LogLine = Record<string, unknown> & { msg: string; level: string };

/** A running agent process. */
export class AgentProcess {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly child: ChildProcess;
  #exit: Promise<number | null>;
  #opsPort = 0;

  constructor(bundle: string, args: readonly string[]) {
    this.child = spawn(NODE, [bundle, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      cwd: tmpdir(),
    });
    let pending = "";
    this.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      pending += chunk;
      let nl = pending.indexOf("\n");
      while (nl >= 0) {
        const text = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(text) as LogLine);
        } catch {
          this.lines.push({ msg: text, level: "raw" });
        }
        nl = pending.indexOf("\n");
      }
    });
    this.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => this.stderr.push(chunk));
    this.#exit = new Promise(resolve => this.child.on("exit", code => resolve(code)));
  }

  /** Resolves with the exit code. */
  exited(): Promise<number | null> {
    return this.#exit;
  }

  /** Waits for a log line with message `msg`. */
  async waitFor(msg: string, timeoutMs = 20_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(l => l.msg === msg);
      if (found) return found;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(
          `agent never logged "${msg}"; stderr: ${this.stderr.join("")}; log: ${JSON.stringify(this.lines.slice(-5))}`,
        );
      }
      await new Promise(r => setTimeout(r, 50));
    }
  }

  /** Port of the ops listener (health and metrics on one address in tests). */
  async opsPort(): Promise<number> {
    if (this.#opsPort) return this.#opsPort;
    const line = await this.waitFor("agent starting");
    const listen = (line.listen as string[])[0] ?? "";
    this.#opsPort = Number(listen.slice(listen.lastIndexOf(":") + 1));
    return this.#opsPort;
  }

  /** GET a path of the ops listener: status and body. */
  async get(path: string): Promise<{ status: number; body: string }> {
    const res = await fetch(`http://127.0.0.1:${await this.opsPort()}${path}`);
    return { status: res.status, body: await res.text() };
  }

  /** The value of a metric series (exact `name{labels}` text), 0 when absent. */
  async metric(series: string): Promise<number> {
    const { body } = await this.get("/metrics");
    const line = body.split("\n").find(l => l.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : 0;
  }

  /** Sends `signal` and waits for the exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.#exit;
  }
}

/** Command-line flags for a test agent on `node` with `kubeconfig`. */
export function agentArgs(
  node: string,
  kubeconfig: string,
  extra: readonly string[] = [],
): string[] {
  return [
    "--node-name",
    node,
    "--kubeconfig",
    kubeconfig,
    "--health-bind",
    "127.0.0.1:0",
    "--metrics-bind",
    "127.0.0.1:0",
    "--log-level",
    "debug",
    ...extra,
  ];
}
