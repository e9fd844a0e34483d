// Unit tests of the cluster benchmark's rig (bench/cluster): the pod network its hollow node's
// pods live in, and its agent's command line.
import { agentArguments } from "../../../bench/cluster/agent-process.js";
import {
  anchorAddress,
  boxId,
  networkNames,
  podAddresses,
  podAddressCommand,
  podNetworkPlan,
  setupCommands,
  teardownCommands,
} from "../../../bench/cluster/pod-network/plan.js";

describe("the benchmark's pod network plan", () => {
  it("names interfaces within 15 characters, stably per state dir", () => {
    const id = boxId("/root/.cache/swh-testenv/run/demo");
    expect(id).toMatch(/^[0-9a-f]{6}$/);
    expect(boxId("/root/.cache/swh-testenv/run/demo")).toBe(id);
    const names = networkNames(id);
    expect(names.vethRoot.length).toBeLessThanOrEqual(15);
    expect(names.vethPod.length).toBeLessThanOrEqual(15);
    expect(() => networkNames("0123456789abcdef")).toThrow(/15 characters/);
  });

  it("gives each node a /24 and each pod a host address, IPv6 twin on request", () => {
    const plan = podNetworkPlan("abc123", 245, true);
    expect(podAddresses(plan, 2, 7, false)).toEqual({ ipv4: "10.245.2.7" });
    expect(podAddresses(plan, 2, 17, true)).toEqual({
      ipv4: "10.245.2.17",
      ipv6: "fd00:10:245:2::11",
    });
    expect(() => podAddresses(plan, 2, 1, false)).toThrow(/host/);
    expect(() => podAddresses(podNetworkPlan("abc123", 245, false), 1, 2, true)).toThrow(/IPv6/);
    expect(podAddressCommand(plan, "fd00:10:245:2::11", "add")).toEqual(
      expect.arrayContaining(["-6", "fd00:10:245:2::11/128", "nodad"]),
    );
  });

  it("keeps a permanent pod-side address so deleting the last pod keeps the return route", () => {
    const plan = podNetworkPlan("abc123", 244, false);
    const setup = setupCommands(plan).map(c => c.join(" "));
    expect(setup).toContain(
      `netns exec ${plan.netns} ip addr add ${anchorAddress(plan)}/32 dev ${plan.vethPod}`,
    );
    expect(anchorAddress(plan)).toBe("10.244.255.2");
    const teardown = teardownCommands(plan).map(c => c.join(" "));
    expect(teardown.at(-1)).toBe(`netns del ${plan.netns}`);
  });
});

describe("agent command line", () => {
  it("keeps the chart's flags and replaces the pod-specific ones", () => {
    const args = agentArguments(
      [
        "--health-bind=:9873",
        "--metrics-bind",
        "127.0.0.1:9874",
        "--lease-duration=8s",
        "--log-level=debug",
      ],
      { node: "node-1", kubeconfig: "/k", healthPort: 1, metricsPort: 2 },
    );
    expect(args).toEqual([
      "--lease-duration=8s",
      "--log-level=debug",
      "--node-name=node-1",
      "--namespace=d8-service-with-healthchecks",
      "--kubeconfig=/k",
      "--health-bind=127.0.0.1:1",
      "--metrics-bind=127.0.0.1:2",
    ]);
  });
});
