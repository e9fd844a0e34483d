// Desired slices of one SWH on one node: grouping by family and port mapping, chunking at 1000,
// deterministic bounded names, the contract's labels, owner reference and reports annotation.
import {
  ANNOTATION_ENDPOINT_REPORTS,
  LABEL_HERITAGE,
  LABEL_MANAGED_BY,
  LABEL_NODE_NAME,
  LABEL_SERVICE_NAME,
} from "../../../../api/contract.js";
import { evaluated, manyPods, NODE, pod, swh } from "../../../../tests/agent/fixtures.js";
import { buildSlices, endpointTopology, nodeLabelValue, sliceName } from "./build.js";

const s = swh();

function build(endpoints = evaluated(s, manyPods(3)), verbose = false) {
  return buildSlices({ swh: s, nodeName: NODE, endpoints, verbose });
}

describe("buildSlices", () => {
  it("builds one slice with the contract's metadata for a few pods", () => {
    const [only, ...rest] = build();
    expect(rest).toEqual([]);
    const slice = only!.slice;
    expect(slice.metadata).toMatchObject({
      namespace: "ns",
      labels: {
        [LABEL_SERVICE_NAME]: "db",
        [LABEL_MANAGED_BY]: "servicewithhealthchecks",
        [LABEL_NODE_NAME]: NODE,
        [LABEL_HERITAGE]: "deckhouse",
      },
      ownerReferences: [
        {
          apiVersion: "network.deckhouse.io/v1alpha1",
          kind: "ServiceWithHealthchecks",
          name: "db",
          uid: s.uid,
          controller: true,
          blockOwnerDeletion: false,
        },
      ],
    });
    expect(slice.addressType).toBe("IPv4");
    expect(slice.ports).toEqual([{ name: "", protocol: "TCP", port: 5432 }]);
    expect(slice.endpoints?.[0]).toEqual({
      addresses: ["10.0.0.0"],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: NODE,
      targetRef: { kind: "Pod", name: "db-00000", namespace: "ns", uid: "uid-db-00000" },
    });
  });

  it("splits 2500 endpoints into 3 slices of at most 1000", () => {
    const slices = build(evaluated(s, manyPods(2500)));
    expect(slices.map(d => d.slice.endpoints?.length)).toEqual([1000, 1000, 500]);
    expect(new Set(slices.map(d => d.slice.metadata?.name)).size).toBe(3);
  });

  it("makes one slice per address family for dual-stack pods", () => {
    const slices = build(evaluated(s, manyPods(3, true)));
    expect(slices.map(d => [d.slice.addressType, d.slice.endpoints?.length])).toEqual([
      ["IPv4", 3],
      ["IPv6", 3],
    ]);
  });

  it("puts pods whose named targetPort resolves differently into different slices", () => {
    const named = swh({ spec: { ports: [{ name: "web", port: 80, targetPort: "http" }] } });
    const pods = [
      pod({ name: "a", ips: ["10.0.0.1"], ports: [{ name: "http", containerPort: 8080 }] }),
      pod({ name: "b", ips: ["10.0.0.2"], ports: [{ name: "http", containerPort: 8081 }] }),
      pod({ name: "c", ips: ["10.0.0.3"], ports: [{ name: "http", containerPort: 8080 }] }),
    ];
    const slices = buildSlices({
      swh: named,
      nodeName: NODE,
      endpoints: evaluated(named, pods),
      verbose: false,
    });
    expect(
      slices.map(d => [d.slice.ports?.[0]?.port, d.slice.endpoints?.map(e => e.targetRef?.name)]),
    ).toEqual([
      [8080, ["a", "c"]],
      [8081, ["b"]],
    ]);
  });

  it("writes sorted reports with failures and lastTransitionTime, lastProbeTime only when verbose", () => {
    const endpoints = evaluated(s, manyPods(2), key => !key.includes("db-00001"));
    const parse = (verbose: boolean): unknown =>
      JSON.parse(
        build(endpoints, verbose)[0]!.slice.metadata!.annotations![ANNOTATION_ENDPOINT_REPORTS]!,
      );
    expect(parse(false)).toEqual([
      {
        pod: "db-00000",
        address: "10.0.0.0",
        ready: true,
        failedProbes: [],
        lastTransitionTime: "2024-01-01T00:00:00.000Z",
      },
      {
        pod: "db-00001",
        address: "10.0.0.1",
        ready: false,
        failedProbes: [{ probe: "TCP:10.0.0.1:5432", reason: "probe failed" }],
        lastTransitionTime: "2024-01-01T00:00:00.000Z",
      },
    ]);
    expect(JSON.stringify(parse(false))).not.toContain("lastProbeTime");
  });

  it("is byte-identical for the same input in any order", () => {
    const endpoints = evaluated(s, manyPods(50, true));
    expect(JSON.stringify(build([...endpoints].reverse()))).toBe(JSON.stringify(build(endpoints)));
  });

  it("builds nothing without endpoints", () => {
    expect(build([])).toEqual([]);
  });
});

describe("topology of the endpoints (trafficDistribution)", () => {
  it("puts the node's zone on every endpoint, and hints only when the SWH asks", () => {
    expect(endpointTopology(NODE, "zone-a", undefined)).toEqual({ zone: "zone-a" });
    expect(endpointTopology(NODE, undefined, undefined)).toEqual({});
  });

  it("hints the zone for PreferClose and PreferSameZone, as the EndpointSlice controller", () => {
    for (const mode of ["PreferClose", "PreferSameZone"]) {
      expect(endpointTopology(NODE, "zone-a", mode)).toEqual({
        zone: "zone-a",
        hints: { forZones: [{ name: "zone-a" }] },
      });
    }
  });

  it("hints the node (and its zone) for PreferSameNode", () => {
    expect(endpointTopology(NODE, "zone-b", "PreferSameNode")).toEqual({
      zone: "zone-b",
      hints: { forNodes: [{ name: NODE }], forZones: [{ name: "zone-b" }] },
    });
    expect(endpointTopology(NODE, undefined, "PreferSameNode")).toEqual({
      hints: { forNodes: [{ name: NODE }] },
    });
  });

  it("publishes no zone hint while the zone is unknown (kube-proxy then routes cluster-wide)", () => {
    expect(endpointTopology(NODE, undefined, "PreferClose")).toEqual({});
  });

  it("gives every endpoint of the slice the same topology", () => {
    const [only] = buildSlices({
      swh: s,
      nodeName: NODE,
      zone: "zone-a",
      trafficDistribution: "PreferClose",
      endpoints: evaluated(s, manyPods(3)),
      verbose: false,
    });
    for (const e of only!.slice.endpoints ?? []) {
      expect(e).toMatchObject({ zone: "zone-a", hints: { forZones: [{ name: "zone-a" }] } });
    }
  });
});

describe("sliceName", () => {
  it("is <swh>-<node>-<hash>, distinct per group and chunk", () => {
    const a = sliceName(s, NODE, "IPv4/[]", 0);
    expect(a).toMatch(/^db-node-a-[0-9a-f]{8}$/);
    expect(sliceName(s, NODE, "IPv4/[]", 1)).not.toBe(a);
    expect(sliceName(s, NODE, "IPv6/[]", 0)).not.toBe(a);
    expect(sliceName({ ...s, uid: "other" }, NODE, "IPv4/[]", 0)).not.toBe(a);
  });

  it("stays within 253 characters and a valid DNS subdomain for long node names", () => {
    const node = `${"a".repeat(62)}.${"b".repeat(62)}.${"c".repeat(62)}.${"d".repeat(60)}`;
    const name = sliceName({ uid: "u", name: "x".repeat(63) }, node, "IPv4/[]", 0);
    expect(name.length).toBeLessThanOrEqual(253);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
    expect(name).not.toMatch(/[-.]{2}/);
  });
});

describe("nodeLabelValue", () => {
  it("is the node name when it fits a label value, a bounded hash form otherwise", () => {
    expect(nodeLabelValue("node-a")).toBe("node-a");
    const long = nodeLabelValue(`${"n".repeat(70)}.example.com`);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
  });
});
