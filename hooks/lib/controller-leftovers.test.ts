// Tests for how the hooks see kube-controller-manager's leftovers: which EndpointSlices the
// filters admit (the endpointslice controller's, and the mirroring controller's copies of
// controller-made Endpoints; never the agent's, a user's or a mirror of a user's Endpoints), the
// mark and the ready addresses the GC hook's filter reads, that the jq programs run by the real
// `jq` agree with the filters and keep only what the hooks read, and the three bindings.

import { execFileSync } from "node:child_process";
import {
  CONTROLLER_SLICE_JQ_FILTER,
  controllerSlicesBinding,
  filterControllerSlice,
  filterMarkedLeftover,
  leftoversBinding,
  MARKED_LEFTOVER_JQ_FILTER,
  mirroredSlicesBinding,
  type ControllerSliceSnapshot,
  type MarkedLeftoverSnapshot,
} from "./controller-leftovers.js";

/** Runs a jq program with the system jq, as the operator would, and parses its output. */
function runJq(program: string, input: unknown): unknown {
  const out = execFileSync("jq", ["-c", program], { input: JSON.stringify(input) });
  return JSON.parse(out.toString("utf8"));
}

/**
 * An EndpointSlice as kube-controller-manager v1.34 wrote it in the cluster in a box (labels,
 * owner reference and endpoint shape copied from what the API server returned there).
 */
function slice(
  name: string,
  labels: Record<string, string>,
  namespace = "shop",
): Record<string, unknown> {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name,
      namespace,
      uid: `uid-${name}`,
      resourceVersion: "224",
      generateName: "web-",
      labels,
      annotations: { "endpoints.kubernetes.io/last-change-trigger-time": "2026-01-01T00:00:00Z" },
      ownerReferences: [{ apiVersion: "v1", kind: "Service", name: "web", uid: "svc-uid" }],
      managedFields: [{ manager: "kube-controller-manager" }],
    },
    addressType: "IPv4",
    endpoints: [
      {
        addresses: ["10.244.9.9"],
        conditions: { ready: true, serving: true, terminating: false },
        nodeName: "node-1",
        targetRef: { kind: "Pod", namespace, name: "web-0" },
      },
    ],
    ports: [{ name: "", port: 8080, protocol: "TCP" }],
  };
}

const SERVICE_NAME = "kubernetes.io/service-name";
const REPLACED_BY = "network.deckhouse.io/replaced-by";
const REPLACED_AT = "network.deckhouse.io/replaced-at";
const MANAGED_BY = "endpointslice.kubernetes.io/managed-by";
const ENDPOINTS_MANAGED_BY = "endpoints.kubernetes.io/managed-by";

/** The endpointslice controller's slice of Service `web` (it copies the Service's labels too). */
const CONTROLLER_SLICE = slice("web-bd7vg", {
  [MANAGED_BY]: "endpointslice-controller.k8s.io",
  [SERVICE_NAME]: "web",
  app: "web",
});
/** The mirroring controller's copy of the Endpoints the endpoints controller made. */
const MIRROR_SLICE = slice("web-447fr", {
  [MANAGED_BY]: "endpointslicemirroring-controller.k8s.io",
  [ENDPOINTS_MANAGED_BY]: "endpoint-controller",
  [SERVICE_NAME]: "web",
});

describe("filterControllerSlice", () => {
  it.each<[string, Record<string, unknown>, ControllerSliceSnapshot | undefined]>([
    [
      "the endpointslice controller's slice",
      CONTROLLER_SLICE,
      { name: "web-bd7vg", namespace: "shop", serviceName: "web", mirror: false },
    ],
    [
      "a mirror of controller-made Endpoints",
      MIRROR_SLICE,
      { name: "web-447fr", namespace: "shop", serviceName: "web", mirror: true },
    ],
    // a user's own Endpoints (no controller label; Kubernetes before 1.33 too): never touched
    [
      "a mirror of a user's Endpoints",
      slice("web-x", {
        [MANAGED_BY]: "endpointslicemirroring-controller.k8s.io",
        [SERVICE_NAME]: "web",
      }),
      undefined,
    ],
    [
      "the agent's slice",
      slice("web-node-1", { [MANAGED_BY]: "servicewithhealthchecks", [SERVICE_NAME]: "web" }),
      undefined,
    ],
    [
      "another controller's slice",
      slice("web-y", { [MANAGED_BY]: "example.com/controller", [SERVICE_NAME]: "web" }),
      undefined,
    ],
    [
      "a controller slice without a service name",
      slice("web-z", { [MANAGED_BY]: "endpointslice-controller.k8s.io" }),
      undefined,
    ],
    ["no labels", slice("web-w", {}), undefined],
  ])("%s", (_case, input, expected) => {
    expect(filterControllerSlice(input)).toEqual(expected);
    // The operator hands the hook the jq output: the same answer.
    expect(filterControllerSlice(runJq(CONTROLLER_SLICE_JQ_FILTER, input))).toEqual(expected);
  });

  it("rejects input that is not an object", () => {
    expect(filterControllerSlice(null)).toBeUndefined();
    expect(filterControllerSlice("web-bd7vg")).toBeUndefined();
  });

  it("reads the mark", () => {
    const marked = structuredClone(CONTROLLER_SLICE) as any;
    marked.metadata.labels[REPLACED_BY] = "swh-uid";
    expect(filterControllerSlice(runJq(CONTROLLER_SLICE_JQ_FILTER, marked))).toEqual({
      name: "web-bd7vg",
      namespace: "shop",
      serviceName: "web",
      mirror: false,
      replacedBy: "swh-uid",
    });
  });
});

/** `obj` with the mark the child-service hook sets. */
function marked(obj: Record<string, unknown>, at = "2026-01-01T00:00:00Z"): any {
  const copy = structuredClone(obj) as any;
  copy.metadata.labels[REPLACED_BY] = "swh-uid";
  copy.metadata.annotations = { ...copy.metadata.annotations, [REPLACED_AT]: at };
  return copy;
}

/** `obj` with the grace annotation of a mark. */
function graced(obj: any, seconds: string): any {
  obj.metadata.annotations["network.deckhouse.io/replaced-grace-seconds"] = seconds;
  return obj;
}

describe("filterMarkedLeftover", () => {
  const atMs = Date.parse("2026-01-01T00:00:00Z");
  const notReady = ((): Record<string, unknown> => {
    const copy: Record<string, unknown> = marked(CONTROLLER_SLICE);
    copy.endpoints = [
      { addresses: ["10.244.9.9"], conditions: { ready: true } },
      { addresses: ["10.244.9.10"], conditions: { ready: false } },
      { addresses: ["10.244.9.11"] },
    ];
    return copy;
  })();

  it.each<[string, unknown, MarkedLeftoverSnapshot | undefined]>([
    [
      "a marked controller slice",
      marked(CONTROLLER_SLICE),
      {
        name: "web-bd7vg",
        namespace: "shop",
        serviceName: "web",
        mirror: false,
        replacedBy: "swh-uid",
        replacedAtMs: atMs,
        readyAddresses: ["10.244.9.9"],
      },
    ],
    [
      "a marked mirror",
      marked(MIRROR_SLICE),
      expect.objectContaining({ name: "web-447fr", mirror: true, replacedBy: "swh-uid" }),
    ],
    // ready unset counts as ready, as Kubernetes says; ready false does not
    [
      "ready addresses only",
      notReady,
      expect.objectContaining({ readyAddresses: ["10.244.9.9", "10.244.9.11"] }),
    ],
    [
      "an unreadable mark time",
      marked(CONTROLLER_SLICE, "yesterday"),
      expect.not.objectContaining({ replacedAtMs: expect.anything() }),
    ],
    [
      "the grace the mark carries",
      graced(marked(CONTROLLER_SLICE), "390"),
      expect.objectContaining({ replacedAtMs: atMs, graceMs: 390_000 }),
    ],
    [
      "an unreadable grace: none (the shortest applies)",
      graced(marked(CONTROLLER_SLICE), "soon"),
      expect.not.objectContaining({ graceMs: expect.anything() }),
    ],
    ["not marked", CONTROLLER_SLICE, undefined],
    // someone else's slice carrying our label is never deleted
    [
      "the agent's slice with the label",
      marked(
        slice("web-node-1", { [MANAGED_BY]: "servicewithhealthchecks", [SERVICE_NAME]: "web" }),
      ),
      undefined,
    ],
    [
      "a mirror of a user's Endpoints with the label",
      marked(
        slice("web-x", {
          [MANAGED_BY]: "endpointslicemirroring-controller.k8s.io",
          [SERVICE_NAME]: "web",
        }),
      ),
      undefined,
    ],
  ])("%s", (_case, input, expected) => {
    expect(filterMarkedLeftover(input)).toEqual(expected);
    expect(filterMarkedLeftover(runJq(MARKED_LEFTOVER_JQ_FILTER, input))).toEqual(expected);
  });
});

describe("CONTROLLER_SLICE_JQ_FILTER", () => {
  it("keeps namespace, name and the labels the hooks read", () => {
    expect(runJq(CONTROLLER_SLICE_JQ_FILTER, MIRROR_SLICE)).toEqual({
      metadata: {
        name: "web-447fr",
        namespace: "shop",
        labels: {
          [MANAGED_BY]: "endpointslicemirroring-controller.k8s.io",
          [ENDPOINTS_MANAGED_BY]: "endpoint-controller",
          [SERVICE_NAME]: "web",
        },
      },
    });
  });

  it("does not change when the controller rewrites endpoints or copies new Service labels", () => {
    const rewritten = structuredClone(CONTROLLER_SLICE) as any;
    rewritten.metadata.resourceVersion = "999";
    rewritten.metadata.labels.team = "new";
    rewritten.endpoints = [];
    expect(runJq(CONTROLLER_SLICE_JQ_FILTER, rewritten)).toEqual(
      runJq(CONTROLLER_SLICE_JQ_FILTER, CONTROLLER_SLICE),
    );
  });
});

describe("the bindings", () => {
  it("watch the endpointslice controller's slices without running the hook", () => {
    expect(controllerSlicesBinding()).toMatchObject({
      name: "controllerSlices",
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      labelSelector: { matchLabels: { [MANAGED_BY]: "endpointslice-controller.k8s.io" } },
      executeHookOnEvent: [],
      jqFilter: CONTROLLER_SLICE_JQ_FILTER,
    });
  });

  it("watch only marked slices for the GC hook, without running it", () => {
    expect(leftoversBinding()).toMatchObject({
      name: "leftovers",
      kind: "EndpointSlice",
      labelSelector: { matchExpressions: [{ key: REPLACED_BY, operator: "Exists" }] },
      executeHookOnEvent: [],
      jqFilter: MARKED_LEFTOVER_JQ_FILTER,
    });
  });

  it("watch only mirrors of controller-made Endpoints, and run the hook on them", () => {
    const binding = mirroredSlicesBinding();
    expect(binding).toMatchObject({
      name: "mirroredSlices",
      kind: "EndpointSlice",
      labelSelector: {
        matchLabels: {
          [MANAGED_BY]: "endpointslicemirroring-controller.k8s.io",
          [ENDPOINTS_MANAGED_BY]: "endpoint-controller",
        },
      },
      jqFilter: CONTROLLER_SLICE_JQ_FILTER,
    });
    expect(binding.executeHookOnEvent).toBeUndefined();
  });
});
