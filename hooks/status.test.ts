// Tests for the status hook: status computed from SWH + child Service + agent slices, table-
// driven; the write-only-on-change promise (a run over its own output writes nothing, whatever
// the order of lists); condition timestamps; the endpointStatuses cap; and the hook's operations
// and metrics through the hook library's test runner.

import { execFileSync } from "node:child_process";
import { createValidator } from "../api/crd-schema.js";
import { runHookForTest } from "shell-operator-ts-hooks";
import type { EndpointReport } from "../api/contract.js";
import type { Condition, ServiceWithHealthchecksStatus } from "../api/v1alpha1.js";
import { filterEndpointSlice } from "./lib/agent-objects.js";
import {
  classifyChildService,
  filterService,
  type ServiceSnapshot,
} from "./lib/child-service-state.js";
import { filterSwh } from "./lib/swh.js";
import {
  MAX_ENDPOINT_STATUSES,
  STATUS_METRICS,
  STATUS_SERVICE_JQ_FILTER,
  STATUS_SWH_JQ_FILTER,
  sameField,
  sameJson,
  filterSwhWithStatus,
  planStatus,
  settleCondition,
  statusHook,
  statusMergePatch,
  type StatusSnapshots,
  type SwhWithStatus,
} from "./status.js";

const NOW = new Date("2024-05-01T10:00:00Z");
const LATER = new Date("2024-05-01T10:05:00Z");
const EARLIER_TIME = "2024-05-01T09:00:00Z";

type Json = Record<string, unknown>;

/** A full SWH `name` in `prod`, with an optional stored status. */
function rawSwh(name: string, opts: { uid?: string; status?: Json; type?: string } = {}): Json {
  return {
    apiVersion: "network.deckhouse.io/v1alpha1",
    kind: "ServiceWithHealthchecks",
    metadata: {
      name,
      namespace: "prod",
      uid: opts.uid ?? `uid-${name}`,
      generation: 3,
      annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" },
    },
    spec: {
      type: opts.type ?? "ClusterIP",
      selector: { app: name },
      ports: [{ port: 80, targetPort: 8080 }],
      healthcheck: { probes: [{ mode: "HTTP", http: { targetPort: 8080, path: "/healthz" } }] },
    },
    ...(opts.status === undefined ? {} : { status: opts.status }),
  };
}

/** The child Service of `name`, controlled by `ownerUid` (default: the SWH's uid). */
function rawService(name: string, opts: { ownerUid?: string | null; type?: string } = {}): Json {
  const ownerUid = opts.ownerUid === undefined ? `uid-${name}` : opts.ownerUid;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name,
      namespace: "prod",
      uid: `svc-${name}`,
      labels: { heritage: "deckhouse" },
      ownerReferences:
        ownerUid === null
          ? []
          : [
              {
                apiVersion: "network.deckhouse.io/v1alpha1",
                kind: "ServiceWithHealthchecks",
                name,
                uid: ownerUid,
                controller: true,
              },
            ],
    },
    spec: {
      type: opts.type ?? "ClusterIP",
      clusterIP: "10.96.0.10",
      clusterIPs: ["10.96.0.10"],
      ipFamilies: ["IPv4"],
      ports: [{ port: 80, targetPort: 8080, protocol: "TCP" }],
      selector: {},
    },
    status: {
      loadBalancer: opts.type === "LoadBalancer" ? { ingress: [{ ip: "203.0.113.7" }] } : {},
    },
  };
}

interface Ep {
  pod: string;
  ip: string;
  ready: boolean;
  failures?: Array<{ probe: string; reason: string }>;
}

/** An agent slice of SWH `swh` on `node`, with a report per endpoint. */
function rawSlice(
  swh: string,
  node: string,
  eps: Ep[],
  extra: { fencedAt?: string; ownerUid?: string; sliceName?: string } = {},
): Json {
  const reports: EndpointReport[] = eps.map(e => ({
    pod: e.pod,
    address: e.ip,
    ready: e.ready,
    failedProbes: e.failures ?? [],
    lastTransitionTime: EARLIER_TIME,
  }));
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: extra.sliceName ?? `${swh}-${node}`,
      namespace: "prod",
      labels: {
        "kubernetes.io/service-name": swh,
        "network.deckhouse.io/node-name": node,
        "endpointslice.kubernetes.io/managed-by": "servicewithhealthchecks",
      },
      annotations: {
        "network.deckhouse.io/endpoint-reports": JSON.stringify(reports),
        ...(extra.fencedAt === undefined
          ? {}
          : { "network.deckhouse.io/fenced-at": extra.fencedAt }),
      },
      ownerReferences: [
        {
          apiVersion: "network.deckhouse.io/v1alpha1",
          kind: "ServiceWithHealthchecks",
          name: swh,
          uid: extra.ownerUid ?? `uid-${swh}`,
          controller: true,
        },
      ],
    },
    addressType: "IPv4",
    ports: [{ port: 8080 }],
    endpoints: eps.map(e => ({
      addresses: [e.ip],
      conditions: { ready: e.ready, serving: e.ready, terminating: false },
      nodeName: node,
      targetRef: { kind: "Pod", name: e.pod, namespace: "prod" },
    })),
  };
}

const HTTP_FAIL = { probe: "HTTP:10.0.0.2:8080", reason: "HTTP 503" };

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`fixture ${what} did not pass its filter`);
  return value;
}

function snapshots(swhs: Json[], services: Json[], slices: Json[]): StatusSnapshots {
  return {
    swhs: swhs.map(s => must(filterSwhWithStatus(s), "swh")),
    services: services.map(s => must(filterService(s), "service")),
    slices: slices.map(s => must(filterEndpointSlice(s), "slice")),
  };
}

/** Applies an RFC 7386 merge patch (what the API server does with the hook's MergePatch). */
function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const out: Json =
    typeof target === "object" && target !== null && !Array.isArray(target)
      ? { ...(target as Json) }
      : {};
  for (const [key, value] of Object.entries(patch as Json)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}

/** The one status a single-SWH plan writes (the whole desired status when starting empty). */
function statusOf(s: StatusSnapshots, now = NOW): ServiceWithHealthchecksStatus {
  const plan = planStatus(s, now);
  expect(plan.writes).toHaveLength(1);
  return plan.writes[0]!.mergePatch;
}

function condition(status: ServiceWithHealthchecksStatus, type: string): Condition | undefined {
  return status.conditions?.find(c => c.type === type);
}

const SLICE_A = rawSlice("web", "node-a", [
  { pod: "web-0", ip: "10.0.0.1", ready: true },
  { pod: "web-1", ip: "10.0.0.2", ready: false, failures: [HTTP_FAIL] },
]);
const SLICE_B = rawSlice("web", "node-b", [{ pod: "web-2", ip: "10.0.1.1", ready: true }]);

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

describe("write only on change", () => {
  /** Runs the planner, stores its patch, and runs it again over the stored status. */
  function converge(
    swh: Json,
    services: Json[],
    slices: Json[],
  ): { second: ReturnType<typeof planStatus>; stored: Json } {
    const first = planStatus(snapshots([swh], services, slices), NOW);
    const stored = applyMergePatch(swh.status ?? {}, first.writes[0]?.mergePatch ?? {}) as Json;
    const second = planStatus(snapshots([{ ...swh, status: stored }], services, slices), LATER);
    return { second, stored };
  }

  it.each([
    // empty SWH
    [[], []],
    // endpoints and a child
    [[rawService("web")], [SLICE_A, SLICE_B]],
    // LoadBalancer child
    [[rawService("web", { type: "LoadBalancer" })], [SLICE_A]],
  ])("%#: a second run over the first run's result writes nothing", (services, slices) => {
    expect(converge(rawSwh("web"), services, slices).second.writes).toEqual([]);
  });

  it("ignores list order and empty values in the stored status", () => {
    const { stored } = converge(rawSwh("web"), [rawService("web")], [SLICE_A, SLICE_B]);
    const shuffled = {
      ...stored,
      conditions: [...(stored.conditions as unknown[])].reverse(),
      endpointStatuses: [...(stored.endpointStatuses as unknown[])].reverse(),
      loadBalancer: {},
    };
    const again = planStatus(
      snapshots([rawSwh("web", { status: shuffled })], [rawService("web")], [SLICE_A, SLICE_B]),
      LATER,
    );
    expect(again.writes).toEqual([]);
  });

  it("removes stale keys a merge patch would otherwise keep (Go's activeNodeName)", () => {
    const { stored } = converge(rawSwh("web"), [], [SLICE_B]);
    const legacy = {
      ...stored,
      healthcheckCondition: { ...(stored.healthcheckCondition as Json), activeNodeName: "n" },
    };
    const plan = planStatus(snapshots([rawSwh("web", { status: legacy })], [], [SLICE_B]), LATER);
    expect(plan.writes[0]?.mergePatch).toEqual({ healthcheckCondition: { activeNodeName: null } });
    const fixed = applyMergePatch(legacy, plan.writes[0]?.mergePatch) as Json;
    expect(
      planStatus(snapshots([rawSwh("web", { status: fixed })], [], [SLICE_B]), LATER).writes,
    ).toEqual([]);
  });

  it("patches only what changed and keeps unchanged condition timestamps", () => {
    const { stored } = converge(rawSwh("web"), [rawService("web")], [SLICE_B]);
    // The child Service disappears: only ChildServiceReady and the copied IPs change.
    const plan = planStatus(snapshots([rawSwh("web", { status: stored })], [], [SLICE_B]), LATER);
    const patch = plan.writes[0]?.mergePatch as Json;
    expect(Object.keys(patch).sort()).toEqual(["clusterIP", "clusterIPs", "conditions"]);
    expect(patch.clusterIP).toBeNull();
    const conditions = patch.conditions as Condition[];
    expect(conditions.find(c => c.type === "Ready")?.lastTransitionTime).toBe(
      "2024-05-01T10:00:00Z",
    );
    expect(conditions.find(c => c.type === "ChildServiceReady")?.lastTransitionTime).toBe(
      "2024-05-01T10:05:00Z",
    );
  });

  it("leaves other SWHs alone when one changes", () => {
    const a = converge(rawSwh("web"), [], [SLICE_B]).stored;
    const b = converge(rawSwh("db"), [], []).stored;
    const plan = planStatus(
      snapshots(
        [rawSwh("web", { status: a }), rawSwh("db", { status: b })],
        [],
        [SLICE_A, SLICE_B],
      ),
      LATER,
    );
    expect(plan.writes.map(w => w.name)).toEqual(["web"]);
    expect(plan.summaries.map(s => `${s.name}:${s.ready}/${s.total}`)).toEqual([
      "web:2/3",
      "db:0/0",
    ]);
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

describe("settleCondition", () => {
  const previous: Condition = {
    type: "Ready",
    status: "True",
    reason: "AllEndpointsAreReady",
    message: "1 of 1 endpoints ready",
    lastTransitionTime: EARLIER_TIME,
    observedGeneration: 2,
  };

  it.each([
    // nothing changed: old time kept, generation refreshed
    [
      { status: "True", reason: "AllEndpointsAreReady", message: "1 of 1 endpoints ready" },
      EARLIER_TIME,
    ],
    // message changed
    [
      { status: "True", reason: "SomeEndpointsAreReady", message: "1 of 2 endpoints ready" },
      "2024-05-01T10:00:00Z",
    ],
    // status changed
    [
      { status: "False", reason: "NoReadyEndpoints", message: "0 of 1 endpoints ready" },
      "2024-05-01T10:00:00Z",
    ],
  ] as const)("%j transitions at %s", (core, time) => {
    const settled = settleCondition({ type: "Ready", ...core }, previous, 3, NOW);
    expect(settled.lastTransitionTime).toBe(time);
    expect(settled.observedGeneration).toBe(3);
  });

  it("stamps a new condition with now", () => {
    const core = { type: "Ready", status: "False", reason: "NoEndpoints", message: "x" } as const;
    expect(settleCondition(core, undefined, 1, NOW).lastTransitionTime).toBe(
      "2024-05-01T10:00:00Z",
    );
  });
});

describe("statusMergePatch and semantic equality", () => {
  it.each([
    // same conditions in another order
    ["conditions", [{ type: "A" }, { type: "B" }], [{ type: "B" }, { type: "A" }], true],
    // empty array vs absent
    ["endpointStatuses", [], undefined, true],
    // clusterIPs order is meaningful (primary family first)
    ["clusterIPs", ["a", "b"], ["b", "a"], false],
    // false is a value, not emptiness
    ["endpointStatuses", [{ podName: "p", ready: false }], [{ podName: "p" }], false],
  ])("%s: %j vs %j equal: %s", (field, a, b, equal) => {
    expect(sameField(field, a, b)).toBe(equal);
    expect(sameField(field, b, a)).toBe(equal);
  });

  it.each([
    // key order does not matter
    [{ a: 1, b: 2 }, { b: 2, a: 1 }, true],
    // null, missing, empty array and empty object all mean nothing
    [{ a: null, b: [], c: {} }, {}, true],
    // nested emptiness too
    [{ lb: { ingress: [] } }, { lb: null }, true],
    // 0 and "" are values
    [{ a: 0 }, {}, false],
    [{ a: "" }, {}, false],
    // number vs string
    [{ a: 1 }, { a: "1" }, false],
    // array vs object
    [[1], { 0: 1 }, false],
    // array order matters for plain arrays
    [[1, 2], [2, 1], false],
  ])("sameJson(%j, %j) is %s", (a, b, equal) => {
    expect(sameJson(a, b)).toBe(equal);
    expect(sameJson(b, a)).toBe(equal);
  });

  it("deletes owned fields the desired status lacks and ignores fields it does not own", () => {
    const patch = statusMergePatch(
      { observedGeneration: 1, readySummary: "0/0" },
      { observedGeneration: 1, readySummary: "0/0", clusterIP: "10.0.0.1", somethingElse: 1 },
    );
    expect(patch).toEqual({ clusterIP: null });
  });
});

describe("jq filters", () => {
  function runJq(program: string, input: unknown): unknown {
    return JSON.parse(
      execFileSync("jq", ["-c", program], { input: JSON.stringify(input) }).toString("utf8"),
    );
  }

  it("keeps the whole stored status of an SWH", () => {
    const status = { readySummary: "1/1", endpointStatuses: [{ podName: "p", ready: true }] };
    const full = rawSwh("web", { status });
    const reduced = runJq(STATUS_SWH_JQ_FILTER, full);
    expect(filterSwhWithStatus(reduced)).toEqual(filterSwhWithStatus(full));
    expect((filterSwhWithStatus(reduced) as SwhWithStatus).currentStatus).toEqual(status);
  });

  it.each([
    // ours
    [rawService("web")],
    // foreign controller
    [rawService("web", { ownerUid: "x" })],
    // no owner, adoptable
    [
      {
        ...rawService("web", { ownerUid: null }),
        metadata: {
          ...(rawService("web", { ownerUid: null }).metadata as Json),
          annotations: { "network.deckhouse.io/allow-adoption": "true", other: "y" },
        },
      },
    ],
    // ours, but a different cluster IP than the SWH asks for
    [
      {
        ...rawService("web"),
        spec: { ...(rawService("web").spec as Json), clusterIP: "10.96.0.99" },
      },
    ],
    // LoadBalancer with an ingress
    [rawService("web", { type: "LoadBalancer" })],
  ])("%#: the reduced Service classifies and copies like the full one", service => {
    const swhJson = rawSwh("web");
    (swhJson.spec as Json).clusterIP = "10.96.0.10";
    const swh = must(filterSwh(swhJson), "swh");
    const full = must(filterService(service), "service");
    const reduced = must(
      filterService(runJq(STATUS_SERVICE_JQ_FILTER, service)),
      "reduced service",
    );
    expect(classifyChildService(swh, reduced)).toEqual(classifyChildService(swh, full));
    const pick = (s: ServiceSnapshot) => [
      s.spec.type,
      s.spec.clusterIP,
      s.spec.clusterIPs,
      s.loadBalancerIngress,
      s.ownerReferences,
    ];
    expect(pick(reduced)).toEqual(pick(full));
  });

  it("is much smaller than the Service", () => {
    const service = rawService("web");
    (service.metadata as Json).managedFields = [
      { manager: "kube-controller-manager", fieldsV1: { big: "x".repeat(2000) } },
    ];
    expect(JSON.stringify(runJq(STATUS_SERVICE_JQ_FILTER, service)).length).toBeLessThan(
      JSON.stringify(service).length / 3,
    );
  });
});

describe("status hook", () => {
  it("writes status MergePatches on the status subresource, one per changed SWH, and gauges", async () => {
    const web = rawSwh("web");
    const db = rawSwh("db");
    const result = await runHookForTest(statusHook, {
      now: NOW,
      snapshots: { swhs: [web, db], services: [rawService("web")], slices: [SLICE_A, SLICE_B] },
    });
    expect(result.operations.map(o => o.operation)).toEqual(["MergePatch", "MergePatch"]);
    expect(result.operations[0]).toMatchObject({
      apiVersion: "network.deckhouse.io/v1alpha1",
      kind: "ServiceWithHealthchecks",
      namespace: "prod",
      name: "web",
      subresource: "status",
      ignoreMissingObject: true,
    });
    expect(result.metrics).toContainEqual(
      expect.objectContaining({
        name: STATUS_METRICS.readyEndpoints,
        action: "set",
        value: 2,
        labels: { namespace: "prod", name: "web" },
        group: "swh_status",
      }),
    );
    expect(result.metrics).toContainEqual(
      expect.objectContaining({
        name: STATUS_METRICS.childServiceReady,
        value: 0,
        labels: { namespace: "prod", name: "db" },
      }),
    );
  });

  it("writes nothing when every stored status is current", async () => {
    const first = planStatus(snapshots([rawSwh("web")], [rawService("web")], [SLICE_A]), NOW);
    const stored = applyMergePatch({}, first.writes[0]?.mergePatch) as Json;
    const result = await runHookForTest(statusHook, {
      now: LATER,
      snapshots: {
        swhs: [rawSwh("web", { status: stored })],
        services: [rawService("web")],
        slices: [SLICE_A],
      },
    });
    expect(result.operations).toEqual([]);
  });

  it("expires the metric group when there is no SWH", async () => {
    const result = await runHookForTest(statusHook, {
      now: NOW,
      snapshots: { swhs: [], services: [], slices: [] },
    });
    expect(result.metrics).toEqual([{ action: "expire", group: "swh_status" }]);
  });
});
