// The outage rules of fencing: no Lease renewed within half its duration suspends fencing; an
// agent coming back after a silence gives the nodes whose last renewal falls in that silence
// one Lease duration from its comeback to renew.
import { agentHeartbeatsByNode, type LeaseSnapshot } from "../lib/agent-leases.js";
import { outageAwareExpiry } from "./fencing-outage.js";

const NOW = Date.parse("2024-05-01T10:00:00Z");
const S = 1000;

/**
 * A Lease of `node` (8 s), renewed `renewedAgo` ms before NOW, acquired `acquiredAgo` ms before;
 * with `silentSinceAgo`, the acquisition was a comeback after a silence since then.
 */
function lease(
  node: string,
  renewedAgo: number,
  acquiredAgo = 3_600 * S,
  silentSinceAgo?: number,
): LeaseSnapshot {
  return {
    name: `swh-agent-${node}`,
    namespace: "d8-service-with-healthchecks",
    nodeName: node,
    renewTimeMs: NOW - renewedAgo,
    leaseDurationSeconds: 8,
    acquireTimeMs: NOW - acquiredAgo,
    ...(silentSinceAgo === undefined ? {} : { silentSinceMs: NOW - silentSinceAgo }),
  };
}

/** outageAwareExpiry over the heartbeats of `leases`, as the GC hook calls it. */
function expiryOf(
  leases: readonly LeaseSnapshot[],
  nowMs: number,
): ReturnType<typeof outageAwareExpiry> {
  return outageAwareExpiry(agentHeartbeatsByNode(leases), nowMs);
}

describe("outageAwareExpiry", () => {
  it("changes nothing while agents renew normally and one is dead", () => {
    const r = expiryOf([lease("a", 1 * S), lease("b", 2 * S), lease("c", 30 * S)], NOW);
    expect(r.suspended).toBe(false);
    expect(r.graced).toEqual([]);
    expect(Object.fromEntries(r.expiry)).toEqual({
      a: NOW + 7 * S,
      b: NOW + 6 * S,
      c: NOW - 22 * S,
    });
  });

  it("suspends fencing while every Lease has expired (the API server or the view is away)", () => {
    const r = expiryOf([lease("a", 50 * S), lease("b", 51 * S), lease("c", 49 * S)], NOW);
    expect(r.suspended).toBe(true);
  });

  it("suspends fencing before the first Lease expires when nobody renewed for half a duration", () => {
    // 7.6 s into an API server freeze (Lease 8 s, renew 2 s): b and c have expired, a has not,
    // but a's last renewal is 7.2 s old, which a live agent renewing every 4 s at most never is.
    // This run fenced b and c in CI when the rule was "every Lease expired".
    const r = expiryOf([lease("a", 7_200), lease("b", 8_500), lease("c", 9_100)], NOW);
    expect(r.suspended).toBe(true);
  });

  it("does not suspend while one agent keeps renewing: the others' deaths are fenced", () => {
    const r = expiryOf([lease("a", 3_900), lease("b", 30 * S), lease("c", 30 * S)], NOW);
    expect(r.suspended).toBe(false);
    expect(r.expiry.get("b")! < NOW).toBe(true);
  });

  it("does not suspend with a single agent: its death is still fenced", () => {
    expect(expiryOf([lease("a", 50 * S)], NOW).suspended).toBe(false);
  });

  it("gives a node that has not renewed yet a Lease duration after another agent came back", () => {
    // a and b came back 0.3 s ago after a 60 s outage (silent since 60.5 s ago); c, last renewed
    // 61 s ago, one renew interval before a's silence began, has not renewed yet.
    const leases = [lease("a", 300, 300, 60_500), lease("b", 200, 300, 60_200), lease("c", 61 * S)];
    const r = expiryOf(leases, NOW);
    expect(r.suspended).toBe(false);
    expect(r.graced).toEqual(["c"]);
    expect(r.expiry.get("c")).toBe(NOW - 300 + 8 * S);
    // Once the grace is over, c counts as dead.
    const later = expiryOf(leases, NOW + 9 * S);
    expect(later.graced).toEqual([]);
    expect(later.expiry.get("c")! < NOW + 9 * S).toBe(true);
  });

  it("covers an outage shorter than a Lease: the first back had not expired, another had", () => {
    // A 7 s API freeze (Lease 8 s, renew 2 s): a renewed 0.2 s before it and is back, two
    // renewals missed, its Lease never expired; c renewed 1.5 s before the freeze, so its Lease
    // ran out 0.5 s ago and its renewal is still on the way; d renewed 0.1 s before the freeze
    // and is about to expire. Neither is fenced before it renews.
    const r = expiryOf([lease("a", 100, 100, 7_300), lease("c", 8_500), lease("d", 7_200)], NOW);
    expect(r.suspended).toBe(false);
    expect(r.graced).toEqual(["c", "d"]);
    expect(r.expiry.get("c")).toBe(NOW - 100 + 8 * S);
    expect(r.expiry.get("d")).toBe(NOW - 100 + 8 * S);
  });

  it("gives no grace to a node that died before the comeback's silence began", () => {
    // c died 30 s ago; b was cut off from 10 s ago until 1 s ago: b's silence says nothing of c.
    const r = expiryOf([lease("b", 1 * S, 1 * S, 10 * S), lease("c", 30 * S)], NOW);
    expect(r.graced).toEqual([]);
    expect(r.expiry.get("c")).toBe(NOW - 22 * S);
  });

  it("gives no grace for an agent that (re)started with a fresh Lease: it vouches for nobody", () => {
    // c died 10 s ago (expired 2 s ago), b started 1 s ago with a new Lease.
    const r = expiryOf([lease("b", 1 * S, 1 * S), lease("c", 10 * S)], NOW);
    expect(r.graced).toEqual([]);
    expect(r.expiry.get("c")).toBe(NOW - 2 * S);
  });

  it("delays the fencing of a node that died during another agent's silence", () => {
    // The price of the rule: c died 10 s ago (expired 2 s ago), while b was cut off (from 12 s
    // ago until 1 s ago): c is fenced one Lease duration after b's comeback, if still silent.
    const r = expiryOf([lease("b", 1 * S, 1 * S, 12 * S), lease("c", 10 * S)], NOW);
    expect(r.graced).toEqual(["c"]);
    expect(r.expiry.get("c")).toBe(NOW + 7 * S);
  });

  it("keys nodes by their label value and keeps the freshest Lease of a node", () => {
    const long = `${"worker-".repeat(12)}a.example.com`;
    const r = expiryOf([lease(long, 40 * S), lease(long, 1 * S), lease("b", 1 * S)], NOW);
    expect([...r.expiry.keys()].some(k => k.length <= 63 && k !== "b")).toBe(true);
    expect([...r.expiry.values()].every(v => v > NOW)).toBe(true);
  });
});
