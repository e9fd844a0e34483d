// Which SWHs a recompute touched: new, changed and gone ones, and none when nothing changed; and
// the endpoint gauge's counts.
import { manyPods, swh, evaluated } from "../../../../tests/agent/fixtures.js";
import { computeDesired } from "../desired/endpoints.js";
import { DesiredChanges } from "./desired-changes.js";
import { countEndpoints, EndpointCounts } from "./endpoint-counts.js";

const desired = (swhs = [swh()], pods = manyPods(2)) =>
  computeDesired({ swhs, pods, credentials: () => ({ error: "no Secret" }) }).swhs;

describe("DesiredChanges", () => {
  it("reports new, changed and gone SWHs once each", () => {
    const changes = new DesiredChanges();
    const a = swh({ name: "a", uid: "uid-a" });
    const b = swh({ name: "b", uid: "uid-b" });
    expect(changes.changed(desired([a, b])).sort()).toEqual(["uid-a", "uid-b"]);
    expect(changes.changed(desired([a, b]))).toEqual([]);
    expect(changes.changed(desired([a, b], manyPods(3))).sort()).toEqual(["uid-a", "uid-b"]);
    expect(changes.changed(desired([a], manyPods(3)))).toEqual(["uid-b"]);
  });
});

describe("EndpointCounts", () => {
  it("counts by state, forgets an SWH without endpoints and publishes the totals", () => {
    const s = swh();
    const up = evaluated(s, manyPods(3), key => !key.includes("10.0.0.2"));
    expect(countEndpoints(up)).toEqual({ ready: 2, notReady: 1, terminating: 0 });
    const counts = new EndpointCounts();
    counts.set("a", up);
    counts.set("b", up);
    const set: Record<string, number> = {};
    counts.publish({ labels: state => ({ set: value => void (set[state] = value) }) });
    expect(set).toEqual({ ready: 4, not_ready: 2, terminating: 0 });
    counts.set("b", []);
    expect(counts.total()).toEqual({ ready: 2, notReady: 1, terminating: 0 });
  });
});
