// Backoff grows, caps and resets; sleep ends early when aborted.
import { Backoff, jittered, sleep } from "./backoff.js";

describe("Backoff", () => {
  it("doubles up to the cap without jitter, and resets", () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1_000, random: () => 0 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1_000]);
    expect(b.failures).toBe(5);
    b.reset();
    expect(b.next()).toBe(100);
  });

  it("adds at most the jitter fraction and never exceeds the cap", () => {
    const b = new Backoff({ initialMs: 100, maxMs: 150, jitter: 0.5, random: () => 0.999 });
    expect(b.next()).toBe(150);
    expect(b.next()).toBe(150);
  });
});

describe("sleep", () => {
  it("resolves at once when the signal aborts", async () => {
    const abort = new AbortController();
    const started = Date.now();
    const done = sleep(60_000, abort.signal);
    abort.abort();
    await done;
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("resolves at once for an already aborted signal", async () => {
    await sleep(60_000, AbortSignal.abort());
  });
});

describe("jittered", () => {
  it("adds up to the fraction", () => {
    expect(jittered(1_000, 0.1, () => 0)).toBe(1_000);
    expect(jittered(1_000, 0.1, () => 0.5)).toBe(1_050);
  });
});
