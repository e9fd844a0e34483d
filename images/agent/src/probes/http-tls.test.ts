// The TLS session cache of HTTPS probes: one session per target, a byte budget without
// eviction, a maximum age counted from the full handshake, and exact byte accounting.

import { SessionCache } from "./http-tls.js";

const session = (bytes: number, fill = 1): Buffer => Buffer.alloc(bytes, fill);

describe("SessionCache", () => {
  it("returns the stored session of a target until it is too old", () => {
    const cache = new SessionCache<string>({ maxBytes: 1_000, maxAgeMs: 100 });
    const a = session(10);
    cache.set("a", a, false, 1_000);
    expect(cache.get("a", 1_099)).toBe(a);
    expect(cache.get("b", 1_099)).toBeUndefined();
    expect(cache.get("a", 1_100)).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
  });

  it("keeps the age of the full handshake when a resumed one brings a new session", () => {
    const cache = new SessionCache<string>({ maxBytes: 1_000, maxAgeMs: 100 });
    cache.set("a", session(10, 1), false, 1_000);
    const renewed = session(12, 2);
    cache.set("a", renewed, true, 1_090);
    expect(cache.get("a", 1_095)).toBe(renewed);
    expect(cache.bytes).toBe(12);
    expect(cache.get("a", 1_100)).toBeUndefined();
  });

  it("ignores a session from a resumed handshake it has no full handshake for", () => {
    const cache = new SessionCache<string>({ maxBytes: 1_000, maxAgeMs: 100 });
    cache.set("a", session(10), true, 1_000);
    expect(cache.size).toBe(0);
  });

  it("stores nothing more once the budget is spent, and never evicts", () => {
    const cache = new SessionCache<string>({ maxBytes: 25, maxAgeMs: 1_000 });
    cache.set("a", session(10), false, 0);
    cache.set("b", session(10), false, 0);
    cache.set("c", session(10), false, 0);
    expect([cache.get("a", 1), cache.get("b", 1), cache.get("c", 1)].map(Boolean)).toEqual([
      true,
      true,
      false,
    ]);
    expect(cache.bytes).toBe(20);
    // freed bytes are used again
    cache.delete("a");
    cache.set("c", session(10), false, 0);
    expect(cache.get("c", 1)).toBeDefined();
    expect(cache.bytes).toBe(20);
  });

  it("drops a target's session when its new one does not fit", () => {
    const cache = new SessionCache<string>({ maxBytes: 25, maxAgeMs: 1_000 });
    cache.set("a", session(10), false, 0);
    cache.set("b", session(10), false, 0);
    cache.set("a", session(20), false, 5);
    expect(cache.get("a", 6)).toBeUndefined();
    expect(cache.bytes).toBe(10);
  });

  it("keeps nothing with a zero budget, and forgets everything on clear()", () => {
    const none = new SessionCache<string>({ maxBytes: 0, maxAgeMs: 1_000 });
    none.set("a", session(1), false, 0);
    expect(none.size).toBe(0);
    const cache = new SessionCache<string>({ maxBytes: 100, maxAgeMs: 1_000 });
    cache.set("a", session(10), false, 0);
    cache.set("b", session(10), false, 0);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
  });
});
