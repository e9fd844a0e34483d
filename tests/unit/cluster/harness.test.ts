// Unit tests of the cluster harness's pure parts (tests/cluster): pod network planning, module
// settings, the ModuleConfig bridge's decisions, the agent command line and the demo's tables.
// The other files of tests/unit/cluster test the newer parts (CEL rules, rollout stand-in).
import { agentArguments } from "../../cluster/world/agents.js";
import { age, endpointsView, swhTable, table, type SwhView } from "../../cluster/demo/view.js";
import {
  anchorAddress,
  boxId,
  chooseOctet,
  cidrSpan,
  cidrsOverlap,
  ipv6ToBigInt,
  networkNames,
  podAddresses,
  podAddressCommand,
  podNetworkPlan,
  setupCommands,
  teardownCommands,
} from "../../cluster/netns/plan.js";
import { camelCaseName, closeObjects, loadModuleSchemas } from "../../cluster/module/settings.js";
import { decide } from "../../cluster/deckhouse/module-config-bridge.js";
import { endpointRows } from "../../cluster/scenario/endpoints.js";
import { repoRoot } from "../../cluster/layout.js";

describe("pod network plan", () => {
  it.each([
    // the kubeadm default range is free: take it
    [["default", "192.0.2.0/24"], 244],
    // 10.244/16 routed (another box): the next one
    [["10.244.0.0/16"], 245],
    // a wider route covering both 10.244 and 10.245
    [["10.0.0.0/8"], undefined],
    // an IPv6 route overlapping fd00:10:244::/48 rules 244 out too
    [["fd00:10:244::/64"], 245],
    // a host route inside 10.246 does not matter for 244
    [["10.246.1.1"], 244],
  ] as const)("routes %j -> octet %s", (routes, want) => {
    if (want === undefined) expect(() => chooseOctet(routes, true)).toThrow(/no free pod range/);
    else expect(chooseOctet(routes, true)).toBe(want);
  });

  it("parses ranges of both families", () => {
    expect(cidrSpan("10.244.0.0/16")).toEqual([BigInt(0x0af40000), BigInt(0x0af4ffff)]);
    expect(ipv6ToBigInt("fd00:10:244::1")).toBe(
      (0xfd00n << 112n) + (0x10n << 96n) + (0x244n << 80n) + 1n,
    );
    expect(ipv6ToBigInt("10.0.0.1")).toBeUndefined();
    expect(cidrsOverlap("10.244.0.0/16", "fd00::/8")).toBe(false);
    expect(cidrsOverlap("fd00::/64", "fd00:10:244::/48")).toBe(false);
    expect(cidrsOverlap("fd00::/8", "fd00:10:244::/48")).toBe(true);
  });

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

describe("module settings", () => {
  it("names values keys like addon-operator", () => {
    expect(camelCaseName("service-with-healthchecks")).toBe("serviceWithHealthchecks");
  });

  it("closes object schemas that do not say otherwise", () => {
    expect(
      closeObjects({ type: "object", properties: { a: { type: "object", properties: {} } } }),
    ).toEqual({
      type: "object",
      additionalProperties: false,
      properties: { a: { type: "object", properties: {}, additionalProperties: false } },
    });
  });

  it("validates the module's settings and fills defaults", () => {
    const schemas = loadModuleSchemas(repoRoot());
    const settings: Record<string, unknown> = {
      heartbeat: { leaseDurationSeconds: 8, renewIntervalSeconds: 2 },
    };
    expect(schemas.validateSettings(settings)).toEqual([]);
    expect(settings).toMatchObject({ logLevel: "Info", agent: { maxConcurrentProbes: 1000 } });
    expect(schemas.validateSettings({ logLevel: "Loud" })[0]).toMatch(/settings.logLevel .*Debug/);
    expect(schemas.validateSettings({ nope: 1 })[0]).toMatch(/additional properties \(nope\)/);
  });

  it("bridges a ModuleConfig to the operator ConfigMap, or says why not", () => {
    const schemas = loadModuleSchemas(repoRoot());
    const ok = decide(
      { spec: { enabled: true, settings: { debug: true } } },
      "service-with-healthchecks",
      schemas,
    );
    expect(ok.data).toEqual({
      serviceWithHealthchecksEnabled: "true",
      serviceWithHealthchecks: "debug: true\n",
    });
    expect(ok.message).toBe("");
    const bad = decide(
      { spec: { enabled: true, settings: { debug: "yes" } } },
      "service-with-healthchecks",
      schemas,
    );
    expect(bad.data).toBeUndefined();
    expect(bad.message).toMatch(/settings.debug must be boolean/);
    expect(
      decide(undefined, "service-with-healthchecks", schemas).data?.serviceWithHealthchecksEnabled,
    ).toBe("false");
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

describe("demo tables", () => {
  const view: SwhView = {
    swh: {
      apiVersion: "network.deckhouse.io/v1alpha1",
      kind: "ServiceWithHealthchecks",
      metadata: {
        name: "postgres-write",
        namespace: "my-ns",
        creationTimestamp: "2026-01-01T00:00:00Z",
      },
      spec: { ports: [{ port: 5432 }], selector: { app: "postgres" } },
      status: { readySummary: "1/3", clusterIP: "10.96.0.10" },
    },
    endpoints: endpointRows([
      {
        addressType: "IPv4",
        metadata: {
          name: "s",
          annotations: {
            "network.deckhouse.io/endpoint-reports": JSON.stringify([
              {
                pod: "db-1",
                address: "10.244.2.2",
                ready: false,
                failedProbes: [
                  { probe: "PostgreSQL:10.244.2.2:5432", reason: "query returned false" },
                ],
              },
            ]),
          },
        },
        endpoints: [
          {
            addresses: ["10.244.1.2"],
            conditions: { ready: true },
            nodeName: "node-1",
            targetRef: { name: "db-0" },
          },
          {
            addresses: ["10.244.2.2"],
            conditions: { ready: false },
            nodeName: "node-2",
            targetRef: { name: "db-1" },
          },
        ],
      },
    ]),
  };

  it("renders kubectl-like columns", () => {
    expect(
      table([
        ["A", "BB"],
        ["ccc", "d"],
      ]),
    ).toEqual(["A     BB", "ccc   d"]);
    expect(age("2026-01-01T00:00:00Z", Date.parse("2026-01-01T00:05:00Z"))).toBe("5m");
    const lines = swhTable([view], Date.parse("2026-01-01T00:00:30Z"));
    expect(lines[1]).toMatch(
      /^my-ns\s+postgres-write\s+ClusterIP\s+1\/3\s+10\.96\.0\.10\s+5432\/TCP\s+30s$/,
    );
    const eps = endpointsView([view]);
    expect(eps[1]).toMatch(/db-0\s+node-1\s+10\.244\.1\.2\s+yes$/);
    expect(eps[2]).toContain("PostgreSQL:10.244.2.2:5432: query returned false");
  });
});
