// Entry of the agent DaemonSet's rollout stand-in daemon (bundled to
// build/cluster/daemonset-controller.mjs; see daemonset-controller.ts for what it does and why).
// One per world, started by worldUp, recorded in world.json, stopped by worldDown. Arguments:
//   --state-dir=<dir>/     the box's state dir (also the process marker the harness looks for)
//   --agent-bundle=<file>  build/agent/agent.mjs, what the agent processes run
// It talks to the API server with the box's admin credentials, as the harness does, and logs
// JSON lines to stdout (the world's logs/daemonset-controller.log).
import { describeError } from "swh-kube-client";
import { createLogger } from "../../../images/agent/src/log.js";
import { adminRest } from "../kube.js";
import { worldLayout } from "../layout.js";
import { AgentDaemonSetController } from "./daemonset-controller.js";

/** `--name=value` from argv; throws when missing. */
function flag(argv: readonly string[], name: string): string {
  const hit = argv.find(a => a.startsWith(`--${name}=`));
  if (!hit) throw new Error(`--${name}=... is required`);
  return hit.slice(name.length + 3);
}

function main(argv: readonly string[]): void {
  const stateDir = flag(argv, "state-dir").replace(/\/+$/, "");
  const log = createLogger({ level: "info", fields: { component: "daemonset-controller" } });
  const rest = adminRest(stateDir);
  const controller = new AgentDaemonSetController({
    layout: worldLayout(stateDir),
    rest,
    agentBundle: flag(argv, "agent-bundle"),
    log,
  });
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info("stopping (agents keep running)", { signal });
    controller.stop().then(
      () => {
        rest.close();
        process.exit(0);
      },
      (err: unknown) => {
        log.error("stop failed", { error: describeError(err) });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  controller.start();
  log.info("rollout stand-in started", { stateDir });
}

try {
  main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`daemonset-controller: fatal: ${describeError(err)}\n`);
  process.exit(1);
}
