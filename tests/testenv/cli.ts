// `scripts/testenv`: command-line face of the cluster in a box.
//   up [--audit] [--no-controller-manager] [--controllers=a,b] [--nodes=N] [--timeout=SECONDS] [--json]
//   down [--purge]      status [--json]      kubeconfig      token <namespace> <serviceaccount>
//   stop-component <name> [--kill] [--grace=SECONDS]      start-component <name> [--timeout=SECONDS]
// The state dir comes from $SWH_TESTENV_DIR (default ~/.cache/swh-testenv/run/default).
import { existsSync } from "node:fs";
import { issueToken } from "./client.js";
import { parseComponent, startComponent, stopComponent } from "./component-control.js";
import { defaultStateDir, stateLayout } from "./layout.js";
import { down, status, up, type BoxStatus } from "./lifecycle.js";

const USAGE = `usage: scripts/testenv <command>
  up [--audit] [--no-controller-manager] [--controllers=a,b] [--nodes=N] [--timeout=SECONDS] [--json]
                      start etcd, kube-apiserver and kube-controller-manager (idempotent);
                      --nodes=N adds kube-scheduler and N real nodes (kubelet, containerd,
                      kube-proxy, each in its own network namespace)
  down [--purge]      stop them; --purge also deletes the state dir (data, certs, logs)
  status [--json]     processes, ports, /readyz (exit 3 when not ready)
  kubeconfig          print the admin kubeconfig path (exit 3 when there is none)
  token <ns> <sa> [--expiration=SECONDS]
                      issue a ServiceAccount token (creating the SA), print its kubeconfig path
  stop-component <etcd|kube-apiserver|kube-controller-manager> [--kill] [--grace=SECONDS]
                      stop one process (SIGTERM, SIGKILL after the grace; --kill: SIGKILL at
                      once), keeping its ports, certificates, data and flags for start-component
  start-component <etcd|kube-apiserver|kube-controller-manager> [--timeout=SECONDS]
                      start it again as it was and wait until it serves (idempotent)
state dir: $SWH_TESTENV_DIR or ~/.cache/swh-testenv/run/default`;

/** Parsed command line: positional words and `--flag[=value]` options. */
interface Args {
  readonly words: string[];
  readonly flags: Map<string, string>;
}

function parseArgs(argv: readonly string[]): Args {
  const words: string[] = [];
  const flags = new Map<string, string>();
  for (const arg of argv) {
    if (!arg.startsWith("--")) {
      words.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    if (eq < 0) flags.set(arg.slice(2), "true");
    else flags.set(arg.slice(2, eq), arg.slice(eq + 1));
  }
  return { words, flags };
}

function checkFlags(args: Args, allowed: readonly string[]): void {
  for (const flag of args.flags.keys()) {
    if (!allowed.includes(flag)) throw new UsageError(`unknown option --${flag}`);
  }
}

class UsageError extends Error {}

function formatStatus(s: BoxStatus): string {
  const lines = [
    `state dir:  ${s.stateDir}`,
    `ready:      ${s.ready ? "yes" : "no"} (readyz: ${s.readyz})`,
    `versions:   etcd ${s.versions.etcd}, kubernetes ${s.versions.kubernetes}`,
  ];
  if (s.server) lines.push(`server:     ${s.server}`);
  lines.push(`kubeconfig: ${s.kubeconfig}`);
  if (s.ports) {
    const p = s.ports;
    lines.push(
      `ports:      apiserver ${p.apiserver}, etcd ${p.etcdClient} (peer ${p.etcdPeer}), ` +
        `controller-manager ${p.controllerManager}`,
    );
  }
  if (s.options) lines.push(`options:    ${JSON.stringify(s.options)}`);
  for (const p of s.processes) {
    if (p.stoppedAt)
      lines.push(`process:    ${p.component} stopped by stop-component at ${p.stoppedAt}`);
    if (p.pid === undefined) continue;
    lines.push(
      `process:    ${p.component} pid ${p.pid} ${p.alive ? "running" : "gone"} (log ${p.logFile})`,
    );
  }
  return lines.join("\n");
}

function seconds(args: Args, flag: string): number | undefined {
  const raw = args.flags.get(flag);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`--${flag} needs a positive number of seconds`);
  return n;
}

async function cmdUp(args: Args): Promise<number> {
  checkFlags(args, ["audit", "no-controller-manager", "controllers", "nodes", "timeout", "json"]);
  const controllers = args.flags.get("controllers")?.split(",").filter(Boolean);
  const timeout = seconds(args, "timeout");
  const nodes = Number(args.flags.get("nodes") ?? "0");
  if (!Number.isInteger(nodes) || nodes < 0 || nodes > 9) {
    throw new UsageError("--nodes needs a number of nodes from 0 to 9");
  }
  const result = await up({
    nodes,
    audit: args.flags.has("audit"),
    controllerManager: !args.flags.has("no-controller-manager"),
    ...(controllers ? { controllers } : {}),
    ...(timeout ? { timeoutMs: timeout * 1000 } : {}),
  });
  if (args.flags.has("json")) {
    console.log(
      JSON.stringify(
        { ...result.status, reused: result.reused, elapsedMs: result.elapsedMs },
        null,
        2,
      ),
    );
  } else {
    const how = result.reused ? "already up" : `up in ${(result.elapsedMs / 1000).toFixed(1)} s`;
    console.log(`testenv ${how}\n${formatStatus(result.status)}`);
  }
  return 0;
}

async function cmdDown(args: Args): Promise<number> {
  checkFlags(args, ["purge"]);
  const result = await down({ purge: args.flags.has("purge") });
  const stopped = Object.entries(result.stopped).map(([c, how]) => `${c}: ${how}`);
  console.log(
    `testenv down (${stopped.length > 0 ? stopped.join(", ") : "nothing was running"})` +
      (result.purged ? `; removed ${result.stateDir}` : ""),
  );
  return 0;
}

async function cmdStatus(args: Args): Promise<number> {
  checkFlags(args, ["json"]);
  const s = await status();
  console.log(args.flags.has("json") ? JSON.stringify(s, null, 2) : formatStatus(s));
  return s.ready ? 0 : 3;
}

function cmdKubeconfig(args: Args): number {
  checkFlags(args, []);
  const path = stateLayout(defaultStateDir()).adminKubeconfig;
  if (!existsSync(path)) {
    console.error(`testenv: no kubeconfig at ${path}; run scripts/testenv up`);
    return 3;
  }
  console.log(path);
  return 0;
}

async function cmdToken(args: Args): Promise<number> {
  checkFlags(args, ["expiration"]);
  const [, namespace, serviceAccount] = args.words;
  if (!namespace || !serviceAccount)
    throw new UsageError("token needs <namespace> <serviceaccount>");
  const expirationSeconds = seconds(args, "expiration");
  const issued = await issueToken(namespace, serviceAccount, {
    ...(expirationSeconds ? { expirationSeconds } : {}),
  });
  console.log(issued.kubeconfigPath);
  console.error(`token for ${namespace}/${serviceAccount} expires ${issued.expirationTimestamp}`);
  return 0;
}

function componentArg(args: Args): ReturnType<typeof parseComponent> {
  const name = args.words[1];
  if (!name || args.words.length > 2) throw new UsageError(`${args.words[0]} needs one component`);
  try {
    return parseComponent(name);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

async function cmdStopComponent(args: Args): Promise<number> {
  checkFlags(args, ["kill", "grace"]);
  const component = componentArg(args);
  const grace = seconds(args, "grace");
  const result = await stopComponent(component, {
    signal: args.flags.has("kill") ? "SIGKILL" : "SIGTERM",
    ...(grace ? { graceMs: grace * 1000 } : {}),
  });
  const pid = result.pid === undefined ? "no pid recorded" : `pid ${result.pid}`;
  console.log(`testenv: ${component} stopped (${pid}: ${result.how}); its ports are free`);
  return 0;
}

async function cmdStartComponent(args: Args): Promise<number> {
  checkFlags(args, ["timeout"]);
  const component = componentArg(args);
  const timeout = seconds(args, "timeout");
  const result = await startComponent(component, timeout ? { timeoutMs: timeout * 1000 } : {});
  const took = ((result.readyAt - result.startedAt) / 1000).toFixed(1);
  console.log(
    result.reused
      ? `testenv: ${component} already running (pid ${result.pid})`
      : `testenv: ${component} started (pid ${result.pid}), serving after ${took} s`,
  );
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  switch (args.words[0]) {
    case "up":
      return cmdUp(args);
    case "down":
      return cmdDown(args);
    case "status":
      return cmdStatus(args);
    case "kubeconfig":
      return cmdKubeconfig(args);
    case "token":
      return cmdToken(args);
    case "stop-component":
      return cmdStopComponent(args);
    case "start-component":
      return cmdStartComponent(args);
    case undefined:
    case "help":
      console.log(USAGE);
      return args.words[0] === "help" ? 0 : 2;
    default:
      throw new UsageError(`unknown command ${args.words[0]}`);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof UsageError) {
    console.error(`testenv: ${err.message}\n${USAGE}`);
    process.exitCode = 2;
  } else {
    console.error(err instanceof Error ? formatError(err) : String(err));
    process.exitCode = 1;
  }
}

function formatError(err: Error): string {
  const parts = [err.message];
  let cause: unknown = err.cause;
  while (cause instanceof Error) {
    parts.push(`caused by: ${cause.message}`);
    cause = cause.cause;
  }
  return parts.join("\n");
}
