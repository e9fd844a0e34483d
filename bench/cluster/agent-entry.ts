// The agent under measurement in the cluster benchmark (bundled to build/bench/cluster-agent.mjs):
// the agent exactly as images/agent/src/main.ts assembles it (createAgent: the real Agent, the
// real ProbeScheduler with the real probers), the module's ServiceAccount token, the flags the chart
// renders - with one addition: every time a probe's thresholded state changes (the moment a
// result crosses its threshold) it prints {event:"cross", address, healthy, at} on stdout, so
// the orchestrator can time threshold -> EndpointSlice change against its own slice watch.
// Logs (level warn and above) go to stderr.
//
// argv: the agent's own flags (see images/agent/src/config.ts). SIGTERM stops it as the real
// agent stops: probing ends, slices and Lease are left as they are.

import { KubeConfig } from "@kubernetes/client-node";
import { createAgent } from "../../images/agent/src/create-agent.js";
import { parseConfig } from "../../images/agent/src/config.js";
import { addressOfWorkerKey } from "../../images/agent/src/desired/endpoints.js";
import { KubeRest } from "swh-kube-client";
import { createLogger } from "../../images/agent/src/log.js";
import { AgentMetrics } from "../../images/agent/src/metrics.js";
import { emit } from "../lib/child.js";

const parsed = parseConfig(process.argv.slice(2), {});
if (parsed.kind !== "config") {
  process.stderr.write(
    `cluster-agent: bad flags: ${parsed.kind === "error" ? parsed.errors.join("; ") : "help"}\n`,
  );
  process.exit(2);
}
const config = parsed.config;
const kc = new KubeConfig();
kc.loadFromFile(config.kubeconfig ?? "");
const log = createLogger({
  level: "warn",
  fields: { node: config.nodeName },
  sink: line => process.stderr.write(`${line}\n`),
});
const metrics = new AgentMetrics();
const rest = new KubeRest(kc, {
  observer: metrics.apiObserver(),
  userAgent: `swh-agent/${config.nodeName}`,
});

const agent = createAgent(config, {
  rest,
  log,
  metrics,
  onProbeStateChange: (key, state) =>
    emit({
      event: "cross",
      address: addressOfWorkerKey(key),
      healthy: state.healthy,
      known: state.known,
      at: Date.now(),
    }),
});

process.on("SIGTERM", () => {
  agent.stop().then(
    () => {
      rest.close();
      process.exit(0);
    },
    () => process.exit(1),
  );
});
await agent.start();
emit({ event: "started", at: Date.now() });
