// Tests for the child Service spec rules: port normalisation, nodePort preservation, the
// semantic spec diff (server defaults are not differences) and the guard against specs the
// API server would reject.

import type { ServiceSpecSnapshot } from "../lib/child-service-state.js";
import {
  childServiceSpecForCreate,
  childServiceSpecPatch,
  childServiceSpecProblem,
  desiredPorts,
  normalizePort,
} from "./spec.js";
import type { SwhSpec } from "../lib/swh.js";

describe("normalizePort", () => {
  it.each([
    // protocol and targetPort defaulted
    [{ port: 80 }, { port: 80, protocol: "TCP", targetPort: 80 }],
    // targetPort 0 means unset
    [
      { port: 80, targetPort: 0 },
      { port: 80, protocol: "TCP", targetPort: 80 },
    ],
    // named targetPort kept as a string
    [
      { port: 80, targetPort: "http", protocol: "TCP" as const },
      { port: 80, protocol: "TCP", targetPort: "http" },
    ],
    // UDP, appProtocol and nodePort kept
    [
      { port: 53, protocol: "UDP" as const, appProtocol: "dns", nodePort: 30053 },
      { port: 53, protocol: "UDP", targetPort: 53, appProtocol: "dns", nodePort: 30053 },
    ],
  ])("%j → %j", (port, expected) => {
    expect(normalizePort(port)).toEqual(expected);
  });
});

describe("desiredPorts", () => {
  const existing: ServiceSpecSnapshot = {
    type: "NodePort",
    ports: [
      { port: 53, protocol: "UDP", nodePort: 30001 },
      { port: 53, protocol: "TCP", nodePort: 30002 },
    ],
  };

  it("keeps allocated nodePorts, matched by port and protocol", () => {
    const swh: SwhSpec = { ports: [{ port: 53 }, { port: 53, protocol: "UDP" }, { port: 54 }] };
    expect(desiredPorts(swh, "NodePort", existing).map(p => p.nodePort)).toEqual([
      30002,
      30001,
      undefined,
    ]);
  });

  it("drops nodePorts for ClusterIP, even ones the SWH sets", () => {
    const swh: SwhSpec = { ports: [{ port: 53, nodePort: 30009 }] };
    expect(desiredPorts(swh, "ClusterIP", existing)).toEqual([
      { port: 53, protocol: "TCP", targetPort: 53 },
    ]);
  });
});

describe("childServiceSpecPatch", () => {
  /** A ClusterIP child as stored by the API server. */
  const stored: ServiceSpecSnapshot = {
    type: "ClusterIP",
    clusterIP: "10.96.0.1",
    clusterIPs: ["10.96.0.1"],
    ipFamilies: ["IPv4"],
    ipFamilyPolicy: "SingleStack",
    ports: [{ port: 80, protocol: "TCP", targetPort: 80 }],
    sessionAffinity: "None",
    internalTrafficPolicy: "Cluster",
    externalIPs: ["198.51.100.1"],
    trafficDistribution: "PreferClose",
  };
  const base: SwhSpec = {
    ports: [{ port: 80 }],
    externalIPs: ["198.51.100.1"],
    trafficDistribution: "PreferClose",
  };

  it.each<[string, SwhSpec, unknown]>([
    // identical after defaults: nothing
    ["equal", base, undefined],
    // SWH does not pin families: the server's choice stands
    ["families unset", { ...base }, undefined],
    // dual stack requested: families and policy sent
    [
      "dual stack",
      { ...base, ipFamilies: ["IPv4", "IPv6"], ipFamilyPolicy: "PreferDualStack" },
      { ipFamilies: ["IPv4", "IPv6"], ipFamilyPolicy: "PreferDualStack" },
    ],
    // externalIPs emptied: removed with null
    ["externalIPs removed", { ...base, externalIPs: [] }, { externalIPs: null }],
    // trafficDistribution dropped: removed with null
    [
      "trafficDistribution removed",
      { ports: base.ports, externalIPs: base.externalIPs },
      { trafficDistribution: null },
    ],
    // clusterIP in the SWH equal to the child's: never patched (immutable, set at creation)
    ["clusterIP not patched", { ...base, clusterIP: "10.96.0.1" }, undefined],
  ])("%s", (_case, swh, expected) => {
    expect(childServiceSpecPatch(swh, stored)).toEqual(expected);
  });

  it("keeps an allocated healthCheckNodePort and sends a pinned one", () => {
    const lb: ServiceSpecSnapshot = {
      type: "LoadBalancer",
      ports: [{ port: 80, protocol: "TCP", targetPort: 80, nodePort: 30080 }],
      externalTrafficPolicy: "Local",
      healthCheckNodePort: 32000,
      allocateLoadBalancerNodePorts: true,
    };
    const swh: SwhSpec = {
      type: "LoadBalancer",
      ports: [{ port: 80 }],
      externalTrafficPolicy: "Local",
    };
    expect(childServiceSpecPatch(swh, lb)).toBeUndefined();
    expect(childServiceSpecPatch({ ...swh, healthCheckNodePort: 32001 }, lb)).toEqual({
      healthCheckNodePort: 32001,
    });
  });
});

describe("childServiceSpecForCreate", () => {
  it("omits fields left to the server and never sets a selector", () => {
    expect(childServiceSpecForCreate({ ports: [{ port: 80 }], selector: { app: "x" } })).toEqual({
      type: "ClusterIP",
      ports: [{ port: 80, protocol: "TCP", targetPort: 80 }],
      sessionAffinity: "None",
      internalTrafficPolicy: "Cluster",
      publishNotReadyAddresses: false,
    });
  });
});

describe("childServiceSpecProblem", () => {
  it.each<[string, SwhSpec, RegExp | undefined]>([
    // a normal spec
    ["ok", { ports: [{ port: 80 }] }, undefined],
    // headless without ports is allowed
    ["headless, no ports", { clusterIP: "None" }, undefined],
    // no ports and not headless
    ["no ports", { ports: [] }, /spec.ports is empty/],
    // headless NodePort
    [
      "headless NodePort",
      { type: "NodePort", clusterIP: "None", ports: [{ port: 1 }] },
      /headless/,
    ],
  ])("%s", (_case, swh, problem) => {
    const found = childServiceSpecProblem(swh);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(problem);
  });
});
