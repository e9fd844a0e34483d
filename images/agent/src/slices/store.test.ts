// The stale-cache guard: informer events older than the agent's own writes are ignored until the
// informer catches up, so planning never undoes a write it just made.
import type { RawEndpointSlice } from "swh-kube-client";
import { compareResourceVersions, controllerUid, SliceStore } from "./store.js";

function slice(name: string, rv: string, owner = "swh-1", note = ""): RawEndpointSlice {
  return {
    addressType: "IPv4",
    metadata: {
      name,
      namespace: "ns",
      resourceVersion: rv,
      annotations: { note },
      ownerReferences: [
        {
          apiVersion: "network.deckhouse.io/v1alpha1",
          kind: "ServiceWithHealthchecks",
          name: "db",
          uid: owner,
          controller: true,
        },
      ],
    },
    endpoints: [],
  };
}

function note(store: SliceStore, owner = "swh-1"): string[] {
  return store
    .ownedBy(owner)
    .map(
      s => `${s.metadata?.name}@${s.metadata?.resourceVersion}:${s.metadata?.annotations?.note}`,
    );
}

describe("SliceStore", () => {
  let now = 1_000;
  const clock = () => now;

  it("indexes slices by controlling SWH", () => {
    const store = new SliceStore(clock);
    store.upsert(slice("a", "1"));
    store.upsert(slice("b", "2", "swh-2"));
    store.upsert(slice("c", "3", ""));
    expect(note(store)).toEqual(["a@1:"]);
    expect(store.owners().sort()).toEqual(["", "swh-1", "swh-2"]);
    store.remove(slice("a", "1"));
    expect(store.owners().sort()).toEqual(["", "swh-2"]);
  });

  it("ignores informer events older than the agent's own write", () => {
    const store = new SliceStore(clock);
    store.upsert(slice("a", "10", "swh-1", "old"));
    store.recordWrite(slice("a", "12", "swh-1", "mine"));
    // A stale event from before the write arrives late.
    expect(store.upsert(slice("a", "11", "swh-1", "stale"))).toBe(false);
    expect(note(store)).toEqual(["a@12:mine"]);
    // The informer catches up with the write itself: accepted, expectation cleared.
    store.upsert(slice("a", "12", "swh-1", "mine"));
    expect(store.pendingExpectations).toBe(0);
    // A later change by someone else (e.g. the fencing hook) is accepted.
    expect(store.upsert(slice("a", "13", "swh-1", "fenced"))).toBe(true);
    expect(note(store)).toEqual(["a@13:fenced"]);
  });

  it("accepts a newer event even if the write's own event was skipped", () => {
    const store = new SliceStore(clock);
    store.recordWrite(slice("a", "12", "swh-1", "mine"));
    expect(store.upsert(slice("a", "15", "swh-1", "newer"))).toBe(true);
    expect(store.pendingExpectations).toBe(0);
  });

  it("with opaque resourceVersions waits for the exact one or a relist started after the write", () => {
    const store = new SliceStore(clock);
    now = 2_000;
    store.recordWrite(slice("a", "v-b", "swh-1", "mine"));
    expect(store.upsert(slice("a", "v-a", "swh-1", "stale"))).toBe(false);
    expect(store.upsert(slice("a", "v-a", "swh-1", "stale"), 1_500)).toBe(false);
    expect(store.upsert(slice("a", "v-c", "swh-1", "relisted"), 2_500)).toBe(true);
    expect(note(store)).toEqual(["a@v-c:relisted"]);
  });

  it("ignores a stale event resurrecting a slice the agent deleted", () => {
    const store = new SliceStore(clock);
    store.upsert(slice("a", "10"));
    store.recordDelete(slice("a", "10"));
    expect(store.upsert(slice("a", "10", "swh-1", "stale"))).toBe(false);
    expect(note(store)).toEqual([]);
    store.remove(slice("a", "10"));
    expect(store.pendingExpectations).toBe(0);
    // Created again later (a higher version): accepted.
    expect(store.upsert(slice("a", "20"))).toBe(true);
  });

  it("ignores a delete event of an older incarnation after the agent re-created the slice", () => {
    const store = new SliceStore(clock);
    store.recordWrite(slice("a", "30", "swh-1", "recreated"));
    expect(store.remove(slice("a", "25"))).toBe(false);
    expect(note(store)).toEqual(["a@30:recreated"]);
  });

  it("expires expectations the informer never confirmed", () => {
    const store = new SliceStore(clock);
    now = 10_000;
    store.recordWrite(slice("a", "v1"));
    now = 80_000;
    expect(store.expireExpectations(60_000)).toBe(1);
    expect(store.upsert(slice("a", "v0", "swh-1", "trusted again"))).toBe(true);
  });
});

describe("compareResourceVersions", () => {
  it.each([
    ["9", "10", -1],
    ["10", "10", 0],
    ["123456789012345678901", "2", 1],
    ["a", "1", undefined],
  ])("%s vs %s = %s", (a, b, want) => {
    expect(compareResourceVersions(a, b)).toBe(want);
  });
});

describe("controllerUid", () => {
  it("is the uid of the controlling SWH reference, or empty", () => {
    expect(controllerUid(slice("a", "1", "u1"))).toBe("u1");
    const foreign = slice("a", "1");
    foreign.metadata!.ownerReferences![0]!.kind = "Service";
    expect(controllerUid(foreign)).toBe("");
  });
});
