// Tests for the marks the child-service hook puts on kube-controller-manager's leftovers: which
// objects each selector-less child gets marked (its controller slices, its Endpoints when an
// unmarked mirror shows the controller made it), in what order, with what patch, and that
// marked objects, other Services' slices and other namespaces are left alone.

import type { ControllerSliceSnapshot } from "./controller-leftovers.js";
import {
  leftoverGraceSeconds,
  leftoverMark,
  planLeftoverMarks,
  type SelectorlessChild,
} from "./leftover-marks.js";

const NOW = new Date("2026-01-01T10:00:00.123Z");
const MARK = {
  metadata: {
    labels: { "network.deckhouse.io/replaced-by": "uid-web" },
    annotations: {
      "network.deckhouse.io/replaced-at": "2026-01-01T10:00:00Z",
      "network.deckhouse.io/replaced-grace-seconds": "120",
    },
  },
};

const WEB: SelectorlessChild = {
  namespace: "shop",
  name: "web",
  uid: "uid-web",
  graceSeconds: 120,
};
const API: SelectorlessChild = {
  namespace: "shop",
  name: "api",
  uid: "uid-api",
  graceSeconds: 300,
};

function snap(
  name: string,
  serviceName: string,
  extra: { mirror?: boolean; namespace?: string; replacedBy?: string } = {},
): ControllerSliceSnapshot {
  const { mirror = false, namespace = "shop", replacedBy } = extra;
  return {
    name,
    namespace,
    serviceName,
    mirror,
    ...(replacedBy === undefined ? {} : { replacedBy }),
  };
}

function mark(kind: "Endpoints" | "EndpointSlice", name: string, mergePatch: object = MARK) {
  return {
    operation: "MergePatch",
    apiVersion: kind === "Endpoints" ? "v1" : "discovery.k8s.io/v1",
    kind,
    namespace: "shop",
    name,
    mergePatch,
    ignoreMissingObject: true,
  };
}

describe("leftoverMark", () => {
  it("is the SWH's uid, the time in whole seconds and the grace, nothing else", () => {
    expect(leftoverMark("uid-web", NOW, 120)).toEqual(MARK);
  });
});

describe("leftoverGraceSeconds", () => {
  it.each<[string, Parameters<typeof leftoverGraceSeconds>[0], number]>([
    ["no healthcheck: 2 minutes", undefined, 120],
    ["defaults settle in 10 + 10 x 1 + 1 s: 2 minutes", { probes: [{ mode: "TCP" }] }, 120],
    [
      "a probe every minute, 3 successes: twice 10 + 180 + 5 s",
      {
        periodSeconds: 60,
        probes: [{ mode: "TCP" }, { mode: "HTTP", successThreshold: 3, timeoutSeconds: 5 }],
      },
      390,
    ],
    [
      "a long initial delay counts too",
      { initialDelaySeconds: 100, periodSeconds: 5, probes: [{ mode: "TCP" }] },
      212,
    ],
  ])("%s", (_case, healthcheck, expected) => {
    expect(leftoverGraceSeconds(healthcheck)).toBe(expected);
  });
});

describe("planLeftoverMarks", () => {
  it.each<[string, SelectorlessChild[], ControllerSliceSnapshot[], unknown[]]>([
    ["nothing left over: nothing to do", [WEB], [], []],
    ["no selector-less child: nothing to do", [], [snap("web-a", "web")], []],
    [
      "the endpointslice controller's slices, by name",
      [WEB],
      [snap("web-b", "web"), snap("web-a", "web")],
      [mark("EndpointSlice", "web-a"), mark("EndpointSlice", "web-b")],
    ],
    // the mirroring controller rewrites its mirror's labels from the Endpoints, so the
    // Endpoints is marked, never the mirror
    [
      "a mirror: its Endpoints is marked first, then the slices",
      [WEB],
      [snap("web-b", "web"), snap("web-m", "web", { mirror: true })],
      [mark("Endpoints", "web"), mark("EndpointSlice", "web-b")],
    ],
    [
      "everything marked for this SWH: nothing to write",
      [WEB],
      [
        snap("web-b", "web", { replacedBy: "uid-web" }),
        snap("web-m", "web", { mirror: true, replacedBy: "uid-web" }),
      ],
      [],
    ],
    [
      "the mirror not marked yet: only the Endpoints",
      [WEB],
      [snap("web-b", "web", { replacedBy: "uid-web" }), snap("web-m", "web", { mirror: true })],
      [mark("Endpoints", "web")],
    ],
    [
      "marked for an earlier SWH of the same name: marked again",
      [WEB],
      [snap("web-b", "web", { replacedBy: "uid-old" })],
      [mark("EndpointSlice", "web-b")],
    ],
    [
      "slices of other Services, or of the same name elsewhere: left alone",
      [WEB],
      [snap("webby-a", "webby"), snap("web-a", "web", { namespace: "other" }), snap("x", "web-2")],
      [],
    ],
    [
      "several children, in the children's order, each with its own uid",
      [WEB, API],
      [snap("api-a", "api"), snap("web-a", "web")],
      [
        mark("EndpointSlice", "web-a"),
        mark("EndpointSlice", "api-a", leftoverMark("uid-api", NOW, 300)),
      ],
    ],
  ])("%s", (_case, children, slices, expected) => {
    expect(planLeftoverMarks(children, slices, NOW)).toEqual(expected);
  });

  it("picks each child's slices out of 10,000 Services' slices", () => {
    const slices: ControllerSliceSnapshot[] = [];
    const children: SelectorlessChild[] = [];
    for (let i = 0; i < 10_000; i++) slices.push(snap(`svc-${i}-a`, `svc-${i}`));
    for (let i = 0; i < 10_000; i += 10) {
      children.push({ namespace: "shop", name: `svc-${i}`, uid: `uid-${i}`, graceSeconds: 120 });
    }
    const operations = planLeftoverMarks(children, slices, NOW);
    expect(operations).toHaveLength(1000);
    expect(operations[1]).toMatchObject({ kind: "EndpointSlice", name: "svc-10-a" });
  });
});
