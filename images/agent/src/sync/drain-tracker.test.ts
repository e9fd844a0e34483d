// The memory of drains: a drain begins once, ends once, and a removed drain stays "restoring"
// until the check says it is over, with the removal time fixed at the observation that saw it.

import { DrainTracker } from "./drain-tracker.js";

const never = (): boolean => false;

describe("DrainTracker", () => {
  it("reports the beginning of a drain once, then the phase", () => {
    const t = new DrainTracker();
    expect(t.observe("e", false, 0, never)).toEqual({
      phase: undefined,
      began: false,
      ended: false,
    });
    expect(t.observe("e", true, 1, never)).toEqual({ phase: "drained", began: true, ended: false });
    expect(t.observe("e", true, 2, never)).toEqual({
      phase: "drained",
      began: false,
      ended: false,
    });
    expect(t.restoring("e")).toBe(false);
  });

  it("keeps a removed drain restoring, from the removal's observation, until it is over", () => {
    const t = new DrainTracker();
    t.observe("e", true, 1, never);
    const seen: number[] = [];
    const check = (removedAt: number): boolean => {
      seen.push(removedAt);
      return false;
    };
    expect(t.observe("e", false, 5, check)).toEqual({
      phase: "restoring",
      began: false,
      ended: true,
    });
    expect(t.restoring("e")).toBe(true);
    expect(t.observe("e", false, 9, check)).toEqual({
      phase: "restoring",
      began: false,
      ended: false,
    });
    expect(seen).toEqual([5, 5]);
    expect(t.observe("e", false, 12, () => true)).toEqual({
      phase: undefined,
      began: false,
      ended: false,
    });
    expect(t.restoring("e")).toBe(false);
    expect(t.size).toBe(0);
  });

  it("ends and restores in one observation when the check passes at once", () => {
    const t = new DrainTracker();
    t.observe("e", true, 1, never);
    expect(t.observe("e", false, 2, () => true)).toEqual({
      phase: undefined,
      began: false,
      ended: true,
    });
  });

  it("drains again while restoring, as a new drain", () => {
    const t = new DrainTracker();
    t.observe("e", true, 1, never);
    t.observe("e", false, 2, never);
    expect(t.observe("e", true, 3, never)).toEqual({ phase: "drained", began: true, ended: false });
    expect(t.restoring("e")).toBe(false);
  });

  it("takes a seeded drain (adopted after a restart) as known: no new beginning", () => {
    const t = new DrainTracker();
    t.seed("e");
    expect(t.observe("e", true, 1, never).began).toBe(false);
    t.seed("f");
    expect(t.observe("f", false, 1, never)).toEqual({
      phase: "restoring",
      began: false,
      ended: true,
    });
  });

  it("asks for a sync after the probes of a restoring endpoint only", () => {
    const t = new DrainTracker();
    expect(t.awaitsProbe("swh|pod|10.0.0.1|0")).toBe(false);
    t.observe("swh|pod|10.0.0.1", true, 1, never);
    t.observe("swh|other|10.0.0.2", true, 1, never);
    expect(t.awaitsProbe("swh|pod|10.0.0.1|0")).toBe(false);
    t.observe("swh|pod|10.0.0.1", false, 2, never);
    expect(t.awaitsProbe("swh|pod|10.0.0.1|0")).toBe(true);
    expect(t.awaitsProbe("swh|pod|10.0.0.1|1")).toBe(true);
    expect(t.awaitsProbe("swh|other|10.0.0.2|0")).toBe(false);
  });

  it("forgets endpoints that are gone", () => {
    const t = new DrainTracker();
    t.observe("e", true, 1, never);
    t.observe("f", true, 1, never);
    t.retain(new Set(["f"]));
    expect(t.size).toBe(1);
    expect(t.observe("e", true, 2, never).began).toBe(true);
  });
});
