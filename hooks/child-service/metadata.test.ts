// Tests for label/annotation propagation to the child Service: what is copied, what never is,
// the bookkeeping annotations, and the merge-patch fragment that adds, changes and removes keys
// while leaving other controllers' keys alone.

import {
  childMetadataPatch,
  decodeKeys,
  desiredChildMetadata,
  diffMap,
  encodeKeys,
  type Metadata,
} from "./metadata.js";

const PROPAGATED_ANNOTATIONS = "network.deckhouse.io/propagated-annotations";
const PROPAGATED_LABELS = "network.deckhouse.io/propagated-labels";

/** An SWH applied with kubectl from a Helm release. */
const SWH_METADATA: Metadata = {
  labels: { app: "web", tier: "front", heritage: "user-value" },
  annotations: {
    "kubectl.kubernetes.io/last-applied-configuration": "{}",
    "meta.helm.sh/release-name": "web",
    "meta.helm.sh/release-namespace": "vm",
    "network.deckhouse.io/load-balancer-ips": "192.0.2.10",
    "example.com/owner": "alice",
  },
};

/** Everything SWH_METADATA propagates, with the bookkeeping annotations. */
const FULL_CHILD_METADATA = {
  labels: { app: "web", tier: "front", heritage: "deckhouse" },
  annotations: {
    "network.deckhouse.io/load-balancer-ips": "192.0.2.10",
    "example.com/owner": "alice",
    [PROPAGATED_ANNOTATIONS]: "example.com/owner,network.deckhouse.io/load-balancer-ips",
    [PROPAGATED_LABELS]: "app,tier",
  },
};

describe("desiredChildMetadata", () => {
  it("copies labels and annotations except the SWH's own, forces heritage, records keys", () => {
    expect(desiredChildMetadata(SWH_METADATA)).toEqual(FULL_CHILD_METADATA);
  });

  it("has no bookkeeping annotations when nothing is propagated", () => {
    expect(desiredChildMetadata({ labels: {}, annotations: {} })).toEqual({
      labels: { heritage: "deckhouse" },
      annotations: {},
    });
  });

  it("never propagates bookkeeping annotations found on the SWH", () => {
    const desired = desiredChildMetadata({
      labels: {},
      annotations: { [PROPAGATED_LABELS]: "forged" },
    });
    expect(desired.annotations).toEqual({});
  });
});

describe("encodeKeys / decodeKeys", () => {
  it.each([
    // sorted, comma-separated
    [["b", "a"], "a,b"],
    // empty set is the empty string
    [[], ""],
  ])("encodes %j as %j", (keys, text) => {
    expect(encodeKeys(keys)).toBe(text);
  });

  it.each([
    // absent annotation
    [undefined, []],
    // empty annotation
    ["", []],
    // stray spaces and empty items are ignored
    [" a, ,b ", ["a", "b"]],
  ])("decodes %j as %j", (text, keys) => {
    expect(decodeKeys(text)).toEqual(keys);
  });
});

describe("diffMap", () => {
  it.each<[string, Record<string, string>, Record<string, string>, string[], unknown]>([
    // equal maps: no patch
    ["equal", { a: "1" }, { a: "1", other: "x" }, ["a"], undefined],
    // a new key is added
    ["added", { a: "1", b: "2" }, { a: "1" }, ["a"], { b: "2" }],
    // a changed value is set
    ["changed", { a: "2" }, { a: "1" }, ["a"], { a: "2" }],
    // a managed key no longer desired is removed with null
    ["removed", {}, { a: "1" }, ["a"], { a: null }],
    // a key nobody manages stays, even if not desired
    ["foreign kept", {}, { other: "x" }, ["a"], undefined],
    // a managed key already gone needs nothing
    ["already gone", {}, {}, ["a"], undefined],
  ])("%s", (_case, desired, observed, managed, expected) => {
    expect(diffMap(desired, observed, new Set(managed))).toEqual(expected);
  });
});

describe("childMetadataPatch", () => {
  const upToDate = desiredChildMetadata(SWH_METADATA);
  /** The child as the hook left it, plus a cloud controller's annotation. */
  const child: Metadata = {
    labels: { ...upToDate.labels },
    annotations: { ...upToDate.annotations, "cloud.example.com/lb-id": "lb-123" },
  };

  it("is undefined when the child is up to date", () => {
    expect(childMetadataPatch(SWH_METADATA, child)).toBeUndefined();
  });

  it("adds a label added to the SWH and records it", () => {
    const swh = { ...SWH_METADATA, labels: { ...SWH_METADATA.labels, zone: "a" } };
    expect(childMetadataPatch(swh, child)).toEqual({
      labels: { zone: "a" },
      annotations: { [PROPAGATED_LABELS]: "app,tier,zone" },
    });
  });

  it("removes a label removed from the SWH, and only that one", () => {
    const swh = { ...SWH_METADATA, labels: { app: "web" } };
    expect(childMetadataPatch(swh, child)).toEqual({
      labels: { tier: null },
      annotations: { [PROPAGATED_LABELS]: "app" },
    });
  });

  it("removes every propagated annotation and the bookkeeping when the SWH has none", () => {
    const swh = { labels: SWH_METADATA.labels, annotations: {} };
    expect(childMetadataPatch(swh, child)).toEqual({
      annotations: {
        "network.deckhouse.io/load-balancer-ips": null,
        "example.com/owner": null,
        [PROPAGATED_ANNOTATIONS]: null,
      },
    });
  });

  it("restores heritage when someone changed it on the child", () => {
    const tampered = { ...child, labels: { ...child.labels, heritage: "someone" } };
    expect(childMetadataPatch(SWH_METADATA, tampered)).toEqual({
      labels: { heritage: "deckhouse" },
    });
  });

  it("adopts a Service: copies everything, leaves its own keys alone", () => {
    const adopted: Metadata = { labels: { legacy: "1" }, annotations: { "x/y": "z" } };
    expect(childMetadataPatch(SWH_METADATA, adopted)).toEqual(FULL_CHILD_METADATA);
  });
});
