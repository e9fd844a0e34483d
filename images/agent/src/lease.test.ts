// The heartbeat Lease body: contract labels, holder = node, renewal keeps acquireTime, taking
// over another holder counts a transition, and a renewal after missed ones is a comeback
// (acquireTime reset, the silence's start recorded for the fencing hook).
import {
  ANNOTATION_SILENT_SINCE,
  LABEL_LEASE_COMPONENT,
  LABEL_NODE_NAME,
  LEASE_COMPONENT_VALUE,
} from "../../../api/contract.js";
import { renewedLease } from "./lease.js";

const o = {
  namespace: "d8-service-with-healthchecks",
  nodeName: "node-a",
  leaseDurationMs: 40_000,
  renewIntervalMs: 10_000,
};
const t0 = Date.parse("2024-01-01T00:00:00Z");

describe("renewedLease", () => {
  it("creates a new Lease held by the node", () => {
    expect(renewedLease(undefined, o, t0)).toEqual({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: "swh-agent-node-a",
        namespace: "d8-service-with-healthchecks",
        labels: { [LABEL_LEASE_COMPONENT]: LEASE_COMPONENT_VALUE, [LABEL_NODE_NAME]: "node-a" },
      },
      spec: {
        holderIdentity: "node-a",
        leaseDurationSeconds: 40,
        acquireTime: "2024-01-01T00:00:00.000000Z",
        renewTime: "2024-01-01T00:00:00.000000Z",
        leaseTransitions: 0,
      },
    });
  });

  it("renews its own Lease: same acquireTime, new renewTime, resourceVersion kept", () => {
    const first = renewedLease(undefined, o, t0);
    first.metadata!.resourceVersion = "5";
    const second = renewedLease(first, o, t0 + 10_000);
    expect(second.metadata?.resourceVersion).toBe("5");
    expect(second.spec).toMatchObject({
      acquireTime: "2024-01-01T00:00:00.000000Z",
      renewTime: "2024-01-01T00:00:10.000000Z",
      leaseTransitions: 0,
    });
  });

  it("takes over a Lease held by another identity, counting the transition", () => {
    const foreign = renewedLease(undefined, { ...o, nodeName: "impostor" }, t0);
    foreign.metadata!.name = "swh-agent-node-a";
    const taken = renewedLease(foreign, o, t0 + 1_000);
    expect(taken.spec).toMatchObject({
      holderIdentity: "node-a",
      acquireTime: "2024-01-01T00:00:01.000000Z",
      leaseTransitions: 1,
    });
  });

  it("rounds the duration up to whole seconds and keeps foreign labels", () => {
    const existing = renewedLease(undefined, o, t0);
    existing.metadata!.labels!.extra = "kept";
    const renewed = renewedLease(existing, { ...o, leaseDurationMs: 15_500 }, t0);
    expect(renewed.spec?.leaseDurationSeconds).toBe(16);
    expect(renewed.metadata?.labels?.extra).toBe("kept");
  });
});

describe("renewedLease after missed renewals (a comeback)", () => {
  it("re-acquires its own Lease when it renews after the Lease expired (an API outage)", () => {
    const before = renewedLease(undefined, o, t0);
    // 41 s later: the 40 s Lease expired in between.
    const after = renewedLease(before, o, t0 + 41_000);
    expect(after.spec).toMatchObject({
      holderIdentity: "node-a",
      acquireTime: "2024-01-01T00:00:41.000000Z",
      renewTime: "2024-01-01T00:00:41.000000Z",
      leaseTransitions: 0,
    });
    expect(after.metadata?.annotations).toEqual({
      [ANNOTATION_SILENT_SINCE]: "2024-01-01T00:00:00.000000Z",
    });
  });

  it("comes back before the Lease expired when it missed a renewal (a short outage)", () => {
    const before = renewedLease(undefined, o, t0);
    // 25 s later, two renewals missed, the 40 s Lease still valid.
    const after = renewedLease(before, o, t0 + 25_000);
    expect(after.spec?.acquireTime).toBe("2024-01-01T00:00:25.000000Z");
    expect(after.metadata?.annotations?.[ANNOTATION_SILENT_SINCE]).toBe(
      "2024-01-01T00:00:00.000000Z",
    );
  });

  it("holds on, keeping acquireTime and the last comeback's mark, within two renew intervals", () => {
    const before = renewedLease(undefined, o, t0);
    const back = renewedLease(before, o, t0 + 41_000);
    const held = renewedLease(back, o, t0 + 61_000);
    expect(held.spec?.acquireTime).toBe("2024-01-01T00:00:41.000000Z");
    expect(held.metadata?.annotations?.[ANNOTATION_SILENT_SINCE]).toBe(
      "2024-01-01T00:00:00.000000Z",
    );
    // One late renewal (timer drift, a slow request) is not a comeback.
    expect(renewedLease(before, o, t0 + 20_000).spec?.acquireTime).toBe(
      "2024-01-01T00:00:00.000000Z",
    );
  });

  it("vouches for nobody's silence when it takes a Lease over or creates it", () => {
    const foreign = renewedLease(undefined, { ...o, nodeName: "impostor" }, t0);
    foreign.metadata!.name = "swh-agent-node-a";
    foreign.metadata!.annotations = { [ANNOTATION_SILENT_SINCE]: "2023-12-31T23:59:00.000000Z" };
    expect(renewedLease(foreign, o, t0 + 1_000).metadata?.annotations).toBeUndefined();
  });
});
