// Endpoint health history: flips are reported once, first sightings and adopted states are not.
import { EndpointHistory } from "./endpoint-history.js";

describe("EndpointHistory", () => {
  it("reports a flip once, with the previous record", () => {
    const h = new EndpointHistory();
    expect(h.observe("e", false, "t0")).toEqual({ record: { healthy: false, since: "t0" } });
    expect(h.observe("e", false, "t1")).toEqual({ record: { healthy: false, since: "t0" } });
    expect(h.observe("e", true, "t2")).toEqual({
      record: { healthy: true, since: "t2" },
      flippedFrom: { healthy: false, since: "t0" },
    });
    expect(h.observe("e", true, "t3").flippedFrom).toBeUndefined();
  });

  it("keeps a seeded (adopted) record and its time", () => {
    const h = new EndpointHistory();
    h.seed("e", { healthy: true, since: "before-restart" });
    h.seed("e", { healthy: false, since: "ignored" });
    expect(h.observe("e", true, "now")).toEqual({
      record: { healthy: true, since: "before-restart" },
    });
  });

  it("forgets endpoints that are gone", () => {
    const h = new EndpointHistory();
    h.observe("a", true, "t");
    h.observe("b", true, "t");
    h.retain(new Set(["b"]));
    expect(h.size).toBe(1);
    expect(h.get("a")).toBeUndefined();
  });
});
