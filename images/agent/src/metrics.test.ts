// The fast re-check counter: every probe counts in swh_agent_probes_total; those that ran at a
// probe's re-check interval count in swh_agent_probe_rechecks_total too, so the steady-state
// probe rate (probes minus re-checks) can be read from the two.
import { AgentMetrics } from "./metrics.js";
import type { WorkerSpec } from "./scheduler/types.js";

const spec: WorkerSpec = {
  key: "k",
  address: "10.0.0.1",
  probe: { mode: "TCP", port: 80 },
  periodMs: 10_000,
  timeoutMs: 1_000,
  initialDelayMs: 0,
  successThreshold: 1,
  failureThreshold: 3,
  recheckMs: 1_000,
};

async function values(metrics: AgentMetrics, name: string): Promise<Record<string, number>> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find(m => m.name === name);
  const out: Record<string, number> = {};
  for (const v of metric?.values ?? []) out[`${v.labels.mode}/${v.labels.result}`] = v.value;
  return out;
}

describe("AgentMetrics fast re-checks", () => {
  it("counts re-checks apart, and every probe in swh_agent_probes_total", async () => {
    const metrics = new AgentMetrics(false);
    const observer = metrics.schedulerObserver();
    const ok = { ok: true, reason: "", durationMs: 1 };
    const failed = { ok: false, reason: "connect ECONNREFUSED", durationMs: 1 };
    observer.onProbe!(spec, ok, 0, false);
    observer.onProbe!(spec, failed, 0, false);
    observer.onProbe!(spec, failed, 0, true);
    observer.onProbe!(spec, failed, 0, true);
    expect(await values(metrics, "swh_agent_probes_total")).toEqual({
      "TCP/success": 1,
      "TCP/failure": 3,
    });
    expect(await values(metrics, "swh_agent_probe_rechecks_total")).toEqual({
      "TCP/success": 0,
      "TCP/failure": 2,
    });
  });

  it("counts nothing as a re-check when the flag is absent (observers of old)", async () => {
    const metrics = new AgentMetrics(false);
    metrics.observeProbe(spec, { ok: true, reason: "", durationMs: 1 }, 0);
    expect(await values(metrics, "swh_agent_probe_rechecks_total")).toEqual({ "TCP/success": 0 });
  });
});

describe("AgentMetrics TCP conversations", () => {
  it("counts the TCP probes that held a conversation apart, by result", async () => {
    const metrics = new AgentMetrics(false);
    const talking: WorkerSpec = {
      ...spec,
      probe: {
        mode: "TCP",
        port: 2525,
        conversation: [{ kind: "expect", match: "prefix", text: "220" }],
      },
    };
    metrics.observeProbe(spec, { ok: true, reason: "", durationMs: 1 }, 0);
    metrics.observeProbe(talking, { ok: true, reason: "", durationMs: 5 }, 0);
    metrics.observeProbe(
      talking,
      { ok: false, reason: "conversation[0] ...", durationMs: 1000 },
      0,
    );
    const json = await metrics.registry.getMetricsAsJSON();
    const conversations = json.find(m => m.name === "swh_agent_tcp_conversations_total");
    expect(conversations?.values.map(v => [v.labels.result, v.value])).toEqual([
      ["success", 1],
      ["failure", 1],
    ]);
    expect(await values(metrics, "swh_agent_probes_total")).toEqual({
      "TCP/success": 2,
      "TCP/failure": 1,
    });
  });
});

describe("AgentMetrics gRPC probes", () => {
  it('counts them as swh_agent_probes_total{mode="GRPC"} beside the other modes', async () => {
    const metrics = new AgentMetrics(false);
    const grpc: WorkerSpec = {
      ...spec,
      probe: {
        mode: "GRPC",
        port: 50051,
        service: "",
        scheme: "HTTP",
        insecureSkipTLSVerify: false,
      },
    };
    metrics.observeProbe(spec, { ok: true, reason: "", durationMs: 1 }, 0);
    metrics.observeProbe(grpc, { ok: true, reason: "", durationMs: 2 }, 0);
    metrics.observeProbe(grpc, { ok: false, reason: "gRPC health NOT_SERVING", durationMs: 2 }, 0);
    expect(await values(metrics, "swh_agent_probes_total")).toEqual({
      "TCP/success": 1,
      "GRPC/success": 1,
      "GRPC/failure": 1,
    });
  });
});
