// Tests for the computed status: Ready, ChildServiceReady and readySummary, table-driven over
// slices and child Services; the per-pod endpoint list (probes, dual-stack merge, CRD limits,
// the cap); fencing marks; foreign Services and slices of an earlier SWH; and that every computed
// status is valid against the CRD, fully declared and default-free.

import { createValidator } from "../../tests/support/crd-schema.js";
import { MAX_ENDPOINT_STATUSES } from "./endpoints.js";
import { planStatus } from "./plan.js";
import {
  EARLIER_TIME,
  HTTP_FAIL,
  NOW,
  SLICE_A,
  SLICE_B,
  condition,
  rawService,
  rawSlice,
  rawSwh,
  snapshots,
  statusOf,
  type Ep,
  type Json,
} from "./test-fixtures.js";

describe("computed status", () => {
  const ours = [rawService("web")];
  it.each([
    // nothing published and no child yet
    {
      case: "empty",
      slices: [],
      services: [],
      want: ["False", "NoEndpoints", "0/0", "False", "ChildServiceWasNotCreated"],
    },
    // two of three ready, child ours
    {
      case: "some ready",
      slices: [SLICE_A, SLICE_B],
      services: ours,
      want: ["True", "SomeEndpointsAreReady", "2/3", "True", "ChildServiceWasCreated"],
    },
    // all ready
    {
      case: "all ready",
      slices: [SLICE_B],
      services: ours,
      want: ["True", "AllEndpointsAreReady", "1/1", "True", "ChildServiceWasCreated"],
    },
    // none ready
    {
      case: "none ready",
      slices: [rawSlice("web", "n", [{ pod: "p", ip: "10.0.0.9", ready: false }])],
      services: ours,
      want: ["False", "NoReadyEndpoints", "0/1", "True", "ChildServiceWasCreated"],
    },
    // a foreign Service of the same name
    {
      case: "conflict",
      slices: [],
      services: [rawService("web", { ownerUid: "someone-else" })],
      want: ["False", "NoEndpoints", "0/0", "False", "ChildServiceConflict"],
    },
  ])("$case: Ready, ChildServiceReady and readySummary", ({ slices, services, want }) => {
    const [ready, reason, summary, child, childReason] = want;
    const status = statusOf(snapshots([rawSwh("web")], services, slices));
    expect(condition(status, "Ready")).toMatchObject({
      status: ready,
      reason,
      observedGeneration: 3,
    });
    expect(condition(status, "ChildServiceReady")).toMatchObject({
      status: child,
      reason: childReason,
    });
    expect(status.readySummary).toBe(summary);
    expect(status.observedGeneration).toBe(3);
  });

  it("lists every endpoint with its probes and counts them Go-compatibly", () => {
    const status = statusOf(snapshots([rawSwh("web")], [rawService("web")], [SLICE_A, SLICE_B]));
    expect(status.healthcheckCondition).toEqual({
      observedGeneration: 3,
      endpoints: 3,
      readyEndpoints: 2,
    });
    expect(condition(status, "Ready")?.message).toBe("2 of 3 endpoints ready");
    expect(status.endpointStatuses).toEqual([
      {
        podName: "web-1",
        nodeName: "node-a",
        address: "10.0.0.2",
        ready: false,
        probesSuccessful: false,
        failedProbes: ["HTTP:10.0.0.2:8080"],
        message: "HTTP:10.0.0.2:8080: HTTP 503",
        lastTransitionTime: EARLIER_TIME,
      },
      {
        podName: "web-0",
        nodeName: "node-a",
        address: "10.0.0.1",
        ready: true,
        probesSuccessful: true,
        lastTransitionTime: EARLIER_TIME,
      },
      {
        podName: "web-2",
        nodeName: "node-b",
        address: "10.0.1.1",
        ready: true,
        probesSuccessful: true,
        lastTransitionTime: EARLIER_TIME,
      },
    ]);
    expect(status.clusterIP).toBe("10.96.0.10");
    expect(status.clusterIPs).toEqual(["10.96.0.10"]);
    expect(status.loadBalancer).toBeUndefined();
  });

  it("copies the load balancer of a LoadBalancer child, and not a foreign Service's IPs", () => {
    const lb = statusOf(
      snapshots(
        [rawSwh("web", { type: "LoadBalancer" })],
        [rawService("web", { type: "LoadBalancer" })],
        [],
      ),
    );
    expect(lb.loadBalancer).toEqual({ ingress: [{ ip: "203.0.113.7" }] });
    const foreign = statusOf(
      snapshots([rawSwh("web")], [rawService("web", { ownerUid: null })], []),
    );
    expect(foreign.clusterIP).toBeUndefined();
    expect(foreign.loadBalancer).toBeUndefined();
  });

  it("counts an endpoint published in two slices (two port mappings) once", () => {
    const second = rawSlice("web", "node-b", [{ pod: "web-2", ip: "10.0.1.1", ready: true }], {
      sliceName: "web-node-b-2",
    });
    const status = statusOf(snapshots([rawSwh("web")], [], [SLICE_B, second]));
    expect(status.readySummary).toBe("1/1");
  });

  it("keeps one entry per pod for a dual-stack pod (podName is the list-map key)", () => {
    const v4 = rawSlice("web", "node-a", [{ pod: "web-0", ip: "10.0.0.1", ready: true }]);
    const v6 = rawSlice(
      "web",
      "node-a",
      [
        {
          pod: "web-0",
          ip: "fd00::1",
          ready: false,
          failures: [{ probe: "TCP:[fd00::1]:8080", reason: "timeout" }],
        },
      ],
      { sliceName: "web-node-a-v6" },
    );
    const status = statusOf(snapshots([rawSwh("web")], [], [v4, v6]));
    expect(status.readySummary).toBe("1/2");
    expect(status.endpointStatuses).toEqual([
      {
        podName: "web-0",
        nodeName: "node-a",
        address: "10.0.0.1,fd00::1",
        ready: false,
        probesSuccessful: false,
        failedProbes: ["TCP:[fd00::1]:8080"],
        message: "TCP:[fd00::1]:8080: timeout",
        lastTransitionTime: EARLIER_TIME,
      },
    ]);
  });

  it("keeps each entry within the CRD's limits (32 failed probes, 4096-character message)", () => {
    const failures = Array.from({ length: 40 }, (_, i) => ({
      probe: `HTTP:10.0.0.2:${8000 + i}`,
      reason: "x".repeat(200),
    }));
    const status = statusOf(
      snapshots(
        [rawSwh("web")],
        [],
        [rawSlice("web", "n", [{ pod: "p", ip: "10.0.0.2", ready: false, failures }])],
      ),
    );
    const entry = status.endpointStatuses![0]!;
    expect(entry.failedProbes).toHaveLength(32);
    expect(entry.message!.length).toBe(4096);
    expect(entry.message!.endsWith("\u2026")).toBe(true);
  });

  it("ignores slices owned by an earlier SWH of the same name", () => {
    const stale = rawSlice("web", "node-a", [{ pod: "web-0", ip: "10.0.0.1", ready: true }], {
      ownerUid: "uid-old",
    });
    expect(statusOf(snapshots([rawSwh("web")], [], [stale])).readySummary).toBe("0/0");
  });

  it("marks the endpoints of a fenced slice and says so in Ready", () => {
    const fenced = rawSlice("web", "node-b", [{ pod: "web-2", ip: "10.0.1.1", ready: false }], {
      fencedAt: "2024-05-01T09:59:00Z",
    });
    const status = statusOf(snapshots([rawSwh("web")], [], [fenced]));
    expect(status.endpointStatuses?.[0]).toMatchObject({
      podName: "web-2",
      ready: false,
      fenced: true,
      message: "agent on node node-b stopped heartbeating, fenced at 2024-05-01T09:59:00Z",
    });
    expect(condition(status, "Ready")?.message).toContain("1 fenced");
  });

  it("caps endpointStatuses, non-ready first, and says so", () => {
    const eps: Ep[] = Array.from({ length: MAX_ENDPOINT_STATUSES + 500 }, (_, i) => ({
      pod: `web-${String(i).padStart(5, "0")}`,
      ip: `10.1.${Math.floor(i / 250)}.${i % 250}`,
      ready: i % 3 !== 0,
    }));
    const status = statusOf(snapshots([rawSwh("web")], [], [rawSlice("web", "node-a", eps)]));
    expect(status.endpointStatuses).toHaveLength(MAX_ENDPOINT_STATUSES);
    expect(status.readySummary).toBe(`${1000}/${1500}`);
    const list = status.endpointStatuses!;
    expect(list.slice(0, 500).every(e => !e.ready)).toBe(true);
    expect(list.slice(500).every(e => e.ready)).toBe(true);
    expect(condition(status, "Ready")?.message).toContain(
      "endpointStatuses lists 1000 of 1500 pods",
    );
  });

  it("skips an SWH that is being deleted", () => {
    const deleting = rawSwh("web");
    (deleting.metadata as Json).deletionTimestamp = "2024-05-01T09:00:00Z";
    expect(planStatus(snapshots([deleting], [], [SLICE_A]), NOW).writes).toEqual([]);
  });
});

describe("computed status against the CRD", () => {
  // A status field the CRD does not declare is pruned by the API server: the next run would
  // see it missing and write again, forever. Defaults on status fields would do the same.
  const validate = createValidator();
  const dualStack = [
    rawSlice("web", "node-a", [{ pod: "web-0", ip: "10.0.0.1", ready: true }]),
    rawSlice(
      "web",
      "node-a",
      [{ pod: "web-0", ip: "fd00::1", ready: false, failures: [HTTP_FAIL] }],
      {
        sliceName: "web-node-a-v6",
      },
    ),
  ];
  const fenced = rawSlice("web", "node-b", [{ pod: "web-2", ip: "10.0.1.1", ready: false }], {
    fencedAt: "2024-05-01T09:59:00Z",
  });

  it.each([
    // endpoints with failures, child ours
    {
      case: "ordinary",
      type: "ClusterIP",
      services: [rawService("web")],
      slices: [SLICE_A, SLICE_B],
    },
    // dual-stack pod and a fenced node
    {
      case: "dual-stack + fenced",
      type: "ClusterIP",
      services: [],
      slices: [...dualStack, fenced],
    },
    // LoadBalancer with an ingress
    {
      case: "load balancer",
      type: "LoadBalancer",
      services: [rawService("web", { type: "LoadBalancer" })],
      slices: [SLICE_B],
    },
    // conflicting Service, nothing published
    {
      case: "conflict",
      type: "ClusterIP",
      services: [rawService("web", { ownerUid: "x" })],
      slices: [],
    },
  ])(
    "$case: the status is valid, fully declared and default-free",
    ({ type, services, slices }) => {
      const swh = rawSwh("web", { type });
      const status = statusOf(snapshots([swh], services, slices));
      const check = validate({ ...swh, status });
      expect(check.errors).toEqual([]);
      expect((check.defaulted as Json).status).toEqual(status);
    },
  );
});
