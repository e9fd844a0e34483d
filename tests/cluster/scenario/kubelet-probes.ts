// The kubelets' own count of the probes they ran on the agent containers: `prober_probe_total`
// (by probe type and result) on each kubelet's /metrics/probes, port 10250 of its node address,
// read with the box's admin client certificate (the kubelets trust the box's CA; they authorise
// the request with a SubjectAccessReview, so this needs the API server). It tells what the
// kubelet decided while the API server could not hear it: a failed readiness probe marks the
// container not ready, a failed liveness probe would have restarted it.
import { readFile } from "node:fs/promises";
import { request } from "node:https";
import { pkiFiles } from "../../testenv/pki.js";
import { stateLayout } from "../../testenv/layout.js";
import { boxNodePlan } from "../world/real-nodes.js";
import { metricSamples } from "../prom-text.js";
import type { AgentPod } from "./agent-pods.js";

/** Probe results of one container: `<Liveness|Readiness>/<successful|failed|unknown>` -> count. */
export type ProbeCounts = Readonly<Record<string, number>>;

function get(url: string, tls: { cert: string; key: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...tls, rejectUnauthorized: false, timeout: 10_000 }, res => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        if (res.statusCode === 200) resolve(body);
        else reject(new Error(`GET ${url}: HTTP ${res.statusCode ?? 0} ${body.slice(0, 200)}`));
      });
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/** The probe counts of the `agent` container of each agent pod, in the order given. */
export async function agentProbeCounts(
  stateDir: string,
  agents: readonly AgentPod[],
): Promise<ProbeCounts[]> {
  const plan = await boxNodePlan(stateDir);
  const admin = pkiFiles(stateLayout(stateDir).pkiDir).cert("admin");
  const tls = { cert: await readFile(admin.crt, "utf8"), key: await readFile(admin.key, "utf8") };
  return Promise.all(
    agents.map(async agent => {
      const address = plan?.nodes.find(n => n.name === agent.node)?.address;
      if (!address) throw new Error(`no address for ${agent.node}`);
      const text = await get(`https://${address}:10250/metrics/probes`, tls);
      const counts: Record<string, number> = {};
      for (const s of metricSamples(text, "prober_probe_total")) {
        if (s.labels.pod !== agent.name || s.labels.container !== "agent") continue;
        const key = `${s.labels.probe_type ?? ""}/${s.labels.result ?? ""}`;
        counts[key] = (counts[key] ?? 0) + s.value;
      }
      return counts;
    }),
  );
}
