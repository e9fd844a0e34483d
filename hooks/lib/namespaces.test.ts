// Tests for the terminating-namespace snapshot: which Namespaces the filter keeps (only those
// being deleted), that the jq program run by the real `jq` agrees with the TypeScript filter on
// full objects, and that the jq output ignores what must not wake or change the snapshot.

import { execFileSync } from "node:child_process";
import {
  filterTerminatingNamespace,
  NAMESPACE_JQ_FILTER,
  namespacesBinding,
  terminatingNamespaceNames,
} from "./namespaces.js";

/** Runs a jq program with the system jq, as the operator would, and parses its output. */
function runJq(program: string, input: unknown): unknown {
  const out = execFileSync("jq", ["-c", program], { input: JSON.stringify(input) });
  return JSON.parse(out.toString("utf8"));
}

/** A Namespace as the API server returns it, with the fields the jq program must drop. */
function namespace(name: string, extra: { deletionTimestamp?: string; phase?: string } = {}) {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name,
      uid: `uid-${name}`,
      resourceVersion: "7",
      labels: { "kubernetes.io/metadata.name": name, team: "shop" },
      annotations: { "example.com/owner": "alice" },
      ...(extra.deletionTimestamp ? { deletionTimestamp: extra.deletionTimestamp } : {}),
    },
    spec: { finalizers: ["kubernetes"] },
    status: extra.phase ? { phase: extra.phase } : {},
  };
}

const DELETED_AT = "2026-01-01T00:00:00Z";

describe("filterTerminatingNamespace", () => {
  it.each<[string, unknown, { name: string } | undefined]>([
    ["active", namespace("prod", { phase: "Active" }), undefined],
    ["no status at all", namespace("prod"), undefined],
    ["phase Terminating", namespace("prod", { phase: "Terminating" }), { name: "prod" }],
    [
      "deletion timestamp and Terminating (what the API server sets together)",
      namespace("prod", { phase: "Terminating", deletionTimestamp: DELETED_AT }),
      { name: "prod" },
    ],
    [
      "deletion timestamp before the phase is seen",
      namespace("prod", { phase: "Active", deletionTimestamp: DELETED_AT }),
      { name: "prod" },
    ],
    ["no name", { metadata: {}, status: { phase: "Terminating" } }, undefined],
    ["not an object", "prod", undefined],
    ["null", null, undefined],
  ])("%s", (_case, input, expected) => {
    expect(filterTerminatingNamespace(input)).toEqual(expected);
    if (typeof input === "object" && input !== null) {
      // The operator hands the hook the jq output: it must give the same answer.
      expect(filterTerminatingNamespace(runJq(NAMESPACE_JQ_FILTER, input))).toEqual(expected);
    }
  });
});

describe("NAMESPACE_JQ_FILTER", () => {
  it("keeps the name and the deletion mark only", () => {
    const full = namespace("prod", { phase: "Terminating", deletionTimestamp: DELETED_AT });
    expect(runJq(NAMESPACE_JQ_FILTER, full)).toEqual({
      metadata: { name: "prod", deletionTimestamp: DELETED_AT },
      status: { phase: "Terminating" },
    });
  });

  it("gives the same result whatever labels, annotations or versions change", () => {
    const before = namespace("prod", { phase: "Active" });
    const after = {
      ...before,
      metadata: { ...before.metadata, resourceVersion: "8", labels: { new: "label" } },
    };
    expect(runJq(NAMESPACE_JQ_FILTER, after)).toEqual(runJq(NAMESPACE_JQ_FILTER, before));
  });
});

describe("terminatingNamespaceNames", () => {
  it("indexes the snapshot by name", () => {
    const names = terminatingNamespaceNames([{ name: "a" }, { name: "b" }]);
    expect([...names].sort()).toEqual(["a", "b"]);
    expect(terminatingNamespaceNames([]).size).toBe(0);
  });
});

describe("namespacesBinding", () => {
  it("binds every Namespace, snapshot-only, through the jq program and the filter", () => {
    expect(namespacesBinding()).toEqual({
      name: "namespaces",
      apiVersion: "v1",
      kind: "Namespace",
      executeHookOnEvent: [],
      jqFilter: NAMESPACE_JQ_FILTER,
      filter: filterTerminatingNamespace,
    });
  });
});
