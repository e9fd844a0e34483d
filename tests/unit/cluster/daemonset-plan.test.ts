// Tests for the cluster in a box's DaemonSet rollout stand-in (tests/cluster/world/daemonset-*):
// how it hashes pod templates, rounds maxUnavailable, steps a RollingUpdate (one ready agent at
// a time, dead agents left alone as nodes that are down, agents removed where the nodeSelector
// no longer wants one), the status it writes for `kubectl rollout status`, and the agent flags
// the chart renders for the settings. The scenario module-settings runs it for real.
import {
  daemonSetStatus,
  planRollout,
  resolveMaxUnavailable,
  rolloutStatus,
  templateHash,
  type AgentView,
} from "../../cluster/world/daemonset-plan.js";
import { expectedAgentFlags } from "../../cluster/world/settings-flags.js";

const NODES = ["node-1", "node-2", "node-3"] as const;

describe("the rollout stand-in's decisions", () => {
  const agent = (node: string, hash: string, alive = true, ready = true): AgentView => ({
    node,
    templateHash: hash,
    alive,
    ready,
  });
  const view = { templateHash: "new", strategy: "RollingUpdate" as const, maxUnavailable: "10%" };

  it("hashes a pod template by content, not key order", () => {
    const a = { spec: { containers: [{ name: "agent", args: ["--x=1"] }], nodeSelector: {} } };
    const b = { spec: { nodeSelector: {}, containers: [{ args: ["--x=1"], name: "agent" }] } };
    expect(templateHash(a)).toBe(templateHash(b));
    expect(templateHash(a)).not.toBe(
      templateHash({ spec: { containers: [{ name: "agent", args: ["--x=2"] }] } }),
    );
  });

  it("rounds maxUnavailable like the DaemonSet controller", () => {
    expect(resolveMaxUnavailable("10%", 3)).toBe(1);
    expect(resolveMaxUnavailable("50%", 3)).toBe(2);
    expect(resolveMaxUnavailable(0, 3)).toBe(1);
    expect(resolveMaxUnavailable(2, 3)).toBe(2);
    expect(() => resolveMaxUnavailable("ten", 3)).toThrow(/not an int or a %/);
  });

  it.each([
    {
      what: "replaces one ready out-of-date agent at a time",
      agents: [agent("node-1", "old"), agent("node-2", "old"), agent("node-3", "old")],
      step: { create: [], remove: [], replace: ["node-1"] },
    },
    {
      what: "waits while an updated agent is not ready yet",
      agents: [agent("node-1", "new", true, false), agent("node-2", "old"), agent("node-3", "old")],
      step: { create: [], remove: [], replace: [] },
    },
    {
      what: "moves on once it is",
      agents: [agent("node-1", "new"), agent("node-2", "old"), agent("node-3", "old")],
      step: { create: [], remove: [], replace: ["node-2"] },
    },
    {
      what: "replaces an out-of-date agent that is not ready at once",
      agents: [agent("node-1", "new", true, false), agent("node-2", "old", true, false)],
      step: { create: ["node-3"], remove: [], replace: ["node-2"] },
    },
    {
      what: "leaves a dead agent alone and counts it unavailable (a node that is down)",
      agents: [
        agent("node-1", "old", false, false),
        agent("node-2", "old"),
        agent("node-3", "old"),
      ],
      step: { create: [], remove: [], replace: [] },
    },
    {
      what: "stops agents on nodes that no longer want one",
      agents: [
        agent("node-1", "new"),
        agent("node-2", "new"),
        agent("node-3", "new"),
        agent("x", "new"),
      ],
      step: { create: [], remove: ["x"], replace: [] },
    },
  ])("$what", ({ agents, step }) => {
    expect(planRollout({ view, desired: NODES, agents })).toEqual(step);
  });

  it("replaces nothing by itself with updateStrategy OnDelete", () => {
    const step = planRollout({
      view: { ...view, strategy: "OnDelete" },
      desired: NODES,
      agents: [agent("node-1", "old"), agent("node-2", "old")],
    });
    expect(step).toEqual({ create: ["node-3"], remove: [], replace: [] });
  });

  it("reports the status kubectl rollout status reads", () => {
    const status = daemonSetStatus({
      view: { generation: 4, templateHash: "new" },
      desired: NODES,
      agents: [
        agent("node-1", "new"),
        agent("node-2", "old"),
        agent("node-3", "new", false, false),
      ],
    });
    expect(status).toEqual({
      observedGeneration: 4,
      desiredNumberScheduled: 3,
      currentNumberScheduled: 3,
      updatedNumberScheduled: 2,
      numberMisscheduled: 0,
      numberReady: 2,
      numberAvailable: 2,
      numberUnavailable: 1,
    });
    const ds = { metadata: { name: "agent", generation: 4 }, status };
    expect(rolloutStatus(ds)).toEqual({
      done: false,
      message:
        'Waiting for daemon set "agent" rollout to finish: 2 out of 3 new pods have been updated...',
    });
    expect(rolloutStatus({ ...ds, metadata: { name: "agent", generation: 5 } }).message).toBe(
      "Waiting for daemon set spec update to be observed...",
    );
    const done = { ...status, updatedNumberScheduled: 3, numberAvailable: 3 };
    expect(rolloutStatus({ ...ds, status: done }).done).toBe(true);
  });

  it("expects the flags the chart renders for the settings", () => {
    expect(expectedAgentFlags({})).toEqual([
      "--max-concurrent-probes=1000",
      "--lease-duration=40s",
      "--lease-renew-interval=10s",
      "--log-level=info",
      "--verbose-status=false",
    ]);
    expect(expectedAgentFlags({ logLevel: "Warn", debug: true })).toContain("--log-level=debug");
  });
});
