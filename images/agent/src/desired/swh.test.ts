// The SWH snapshot: conflict detection (withdraw), deletion, address families and Secret refs.
import { rawSwh, swh } from "../../../../tests/agent/fixtures.js";
import { desiredFingerprints } from "../sync/desired-changes.js";
import { computeDesired } from "./endpoints.js";
import { referencedSecrets, shouldPublish, toAgentSwh } from "./swh.js";

describe("toAgentSwh", () => {
  it("drops objects without identity or spec", () => {
    expect(toAgentSwh({ metadata: { name: "a", namespace: "ns" }, spec: {} })).toBeUndefined();
    expect(toAgentSwh({ metadata: { name: "a", namespace: "ns", uid: "u" } })).toBeUndefined();
    expect(toAgentSwh("nope")).toBeUndefined();
  });

  it.each([
    // spec.ipFamilies wins
    [
      {
        spec: { ipFamilies: ["IPv6", "IPv4"] as Array<"IPv4" | "IPv6"> },
        clusterIPs: ["10.96.0.1"],
      },
      ["IPv6", "IPv4"],
    ],
    // else the child Service's clusterIPs (copied into status)
    [{ clusterIPs: ["10.96.0.1", "fd00:96::1"] }, ["IPv4", "IPv6"]],
    // headless: no family known, publish every family the pods have
    [{ clusterIPs: ["None"] }, undefined],
    [{}, undefined],
  ])("families of %j are %j", (options, families) => {
    expect(swh(options).families).toEqual(families);
  });
});

describe("shouldPublish", () => {
  it.each([
    // normal
    [{}, true],
    // ChildServiceReady=False/ChildServiceConflict: the slices would feed a foreign Service
    [{ conflict: true }, false],
    // being deleted
    [{ deleting: true }, false],
  ])("%j -> %s", (options, want) => {
    expect(shouldPublish(swh(options))).toBe(want);
  });

  it("does not treat other ChildServiceReady=False reasons as a conflict", () => {
    const raw = rawSwh();
    raw.status = {
      conditions: [
        {
          type: "ChildServiceReady",
          status: "False",
          reason: "ChildServiceClusterIPImmutable",
          message: "",
          lastTransitionTime: "2024-01-01T00:00:00Z",
        },
      ],
    };
    expect(shouldPublish(toAgentSwh(raw)!)).toBe(true);
  });
});

describe("the fail-open decision", () => {
  const failOpenCondition = (status: "True" | "False") => ({
    type: "FailOpen",
    status,
    reason: status === "True" ? "TooFewPassing" : "EnoughPassing",
    message: "",
    lastTransitionTime: "2024-01-01T00:00:00Z",
  });
  const withDecision = (status: "True" | "False", failOpen = true) => {
    const raw = rawSwh(
      failOpen
        ? {
            spec: {
              healthcheck: {
                failOpen: { minPassingPercent: 50 },
                probes: [{ mode: "TCP", tcp: { targetPort: 5432 } }],
              },
            },
          }
        : {},
    );
    raw.status = { conditions: [failOpenCondition(status)] };
    return toAgentSwh(raw)!;
  };

  it("applies while spec.healthcheck.failOpen is set and the status says FailOpen=True", () => {
    expect(withDecision("True").failOpen).toBe(true);
    expect(withDecision("False").failOpen).toBeUndefined();
  });

  it("stops at once when failOpen leaves the spec, before the hook rewrites the status", () => {
    expect(withDecision("True", false).failOpen).toBeUndefined();
  });

  it("is part of the desired-state fingerprint, so a status-only change re-syncs the SWH", () => {
    const on = withDecision("True");
    const off = withDecision("False");
    const fp = (s: typeof on) =>
      desiredFingerprints(
        computeDesired({ swhs: [s], pods: [], credentials: () => ({ error: "" }) }).swhs,
      );
    expect(fp(on).get(on.uid)).not.toEqual(fp(off).get(off.uid));
  });
});

describe("referencedSecrets", () => {
  it("lists PostgreSQL authSecretNames, unique and sorted", () => {
    const s = swh({
      spec: {
        healthcheck: {
          probes: [
            { mode: "PostgreSQL", postgreSQL: { targetPort: 5432, authSecretName: "b" } },
            { mode: "TCP", tcp: { targetPort: 5432 } },
            { mode: "PostgreSQL", postgreSQL: { targetPort: 5432, authSecretName: "a" } },
            { mode: "PostgreSQL", postgreSQL: { targetPort: 5433, authSecretName: "b" } },
            { mode: "PostgreSQL", postgreSQL: { targetPort: 5434 } },
          ],
        },
      },
    });
    expect(referencedSecrets(s)).toEqual(["a", "b"]);
  });
});
