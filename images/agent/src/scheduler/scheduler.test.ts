// The scheduler on fake time with scripted probers: thresholds through real timers, adoption,
// sync() semantics, removal, the concurrency cap and queue, jitter, initial delay, the guard
// against hung probers, and stop().

import { FakeClock, flushPromises } from "../../../../tests/support/fake-clock.js";
import type { ProbeOutcome, ProbeSpec, Prober } from "../probes/types.js";
import { ProbeScheduler } from "./scheduler.js";
import type { ProbeState, WorkerSpec } from "./types.js";

const PERIOD = 1_000;

function workerSpec(key: string, overrides: Partial<WorkerSpec> = {}): WorkerSpec {
  return {
    key,
    address: `10.0.0.${key.length}`,
    probe: { mode: "TCP", port: 80 },
    periodMs: PERIOD,
    timeoutMs: 500,
    initialDelayMs: 0,
    successThreshold: 1,
    failureThreshold: 3,
    ...overrides,
  };
}

/** A prober answering from a per-address script (default: pass), recording every call. */
class ScriptedProber {
  readonly calls: Array<{ address: string; spec: ProbeSpec; at: number }> = [];
  private readonly scripts = new Map<string, boolean[]>();
  private readonly pending: Array<(outcome: ProbeOutcome) => void> = [];
  deferred = false;
  /** Failure reason of scripted failures. */
  reason: () => string = () => "scripted failure";
  /** When set, probes answer after this much fake time instead of at once. */
  latencyMs: number | undefined;
  /** Called at the start of every probe (to observe the scheduler meanwhile). */
  onCall: () => void = () => undefined;

  constructor(private readonly clock: FakeClock) {}

  /** Results for the next probes of `address`, in order; the last one repeats. */
  script(address: string, results: boolean[]): void {
    this.scripts.set(address, [...results]);
  }

  /** Resolves the oldest deferred probe. */
  resolveNext(ok = true): void {
    const resolve = this.pending.shift();
    if (resolve === undefined) throw new Error("no deferred probe to resolve");
    resolve({ ok, reason: ok ? "" : "deferred failure", durationMs: 1 });
  }

  inFlight(): number {
    return this.pending.length;
  }

  readonly probe: Prober = (address, spec) => {
    this.calls.push({ address, spec, at: this.clock.now() });
    this.onCall();
    if (this.deferred) return new Promise(resolve => this.pending.push(resolve));
    const script = this.scripts.get(address) ?? [true];
    const ok = script.length > 1 ? script.shift()! : script[0]!;
    const outcome = { ok, reason: ok ? "" : this.reason(), durationMs: 1 };
    const latency = this.latencyMs;
    if (latency === undefined) return Promise.resolve(outcome);
    return new Promise(resolve => this.clock.setTimeout(() => resolve(outcome), latency));
  };
}

function setup(options: { maxConcurrent?: number; random?: () => number } = {}) {
  const clock = new FakeClock();
  const prober = new ScriptedProber(clock);
  const changes: Array<{ key: string; state: ProbeState }> = [];
  const depths: number[] = [];
  const probes: Array<{ key: string; lateMs: number }> = [];
  const scheduler = new ProbeScheduler({
    probers: {
      TCP: prober.probe,
      HTTP: prober.probe,
      PostgreSQL: prober.probe,
      GRPC: prober.probe,
    },
    maxConcurrent: options.maxConcurrent ?? 100,
    clock,
    random: options.random ?? (() => 0),
    observer: {
      onQueueDepth: depth => depths.push(depth),
      onProbe: (spec, _outcome, lateMs) => probes.push({ key: spec.key, lateMs }),
    },
    onChange: (key, state) => changes.push({ key, state }),
  });
  const healthy = (key: string) => scheduler.state(key)?.healthy;
  return { clock, prober, changes, depths, probes, scheduler, healthy };
}

describe("ProbeScheduler thresholds on fake time", () => {
  it("success x3 -> healthy; failure x2 still healthy; 3rd failure -> unhealthy", async () => {
    const { clock, prober, scheduler, changes, healthy } = setup();
    const spec = workerSpec("a");
    prober.script(spec.address, [true, true, true, false, false, false, false]);
    scheduler.sync([spec]);
    expect(scheduler.state("a")).toMatchObject({ healthy: false, known: false });

    const seen: Array<boolean | undefined> = [];
    for (let i = 0; i < 7; i++) {
      await clock.advance(i === 0 ? 0 : PERIOD);
      seen.push(healthy("a"));
    }
    expect(seen).toEqual([true, true, true, true, true, false, false]);
    expect(prober.calls).toHaveLength(7);
    // Two changes only: unknown -> healthy, healthy -> unhealthy (plain ticks report nothing).
    expect(changes.map(c => [c.state.healthy, c.state.known])).toEqual([
      [true, true],
      [false, true],
    ]);
    expect(changes[1]!.state.reason).toBe("scripted failure");
    expect(changes[1]!.state.since.getTime()).toBe(clock.now() - PERIOD);
    await scheduler.stop();
  });

  it("reports a changed failure reason while unhealthy, not a repeated one", async () => {
    const { clock, prober, scheduler, changes } = setup();
    const spec = workerSpec("a", { failureThreshold: 1 });
    prober.script(spec.address, [false]);
    prober.reason = () => `failure at ${clock.now()}`;
    scheduler.sync([spec]);
    await clock.advance(0);
    await clock.advance(PERIOD);
    prober.reason = () => "steady";
    await clock.advance(PERIOD);
    await clock.advance(PERIOD);
    // two distinct reasons, then one repeated: three reports, not four
    expect(changes.map(c => c.state.reason)).toEqual([
      `failure at ${clock.now() - 3 * PERIOD}`,
      `failure at ${clock.now() - 2 * PERIOD}`,
      "steady",
    ]);
    await scheduler.stop();
  });

  it("keeps an adopted healthy state until failureThreshold failures", async () => {
    const { clock, prober, scheduler, changes, healthy } = setup();
    const spec = workerSpec("a", { initialHealthy: true });
    prober.script(spec.address, [false, false, false]);
    scheduler.sync([spec]);
    expect(scheduler.state("a")).toMatchObject({ healthy: true, known: true });
    await clock.advance(0);
    await clock.advance(PERIOD);
    expect(healthy("a")).toBe(true);
    expect(changes).toHaveLength(0);
    await clock.advance(PERIOD);
    expect(healthy("a")).toBe(false);
    expect(changes).toHaveLength(1);
    await scheduler.stop();
  });

  it("records lastProbeAt without reporting it", async () => {
    const { clock, scheduler, changes } = setup();
    scheduler.sync([workerSpec("a", { initialHealthy: true })]);
    await clock.advance(0);
    expect(scheduler.state("a")!.lastProbeAt!.getTime()).toBe(clock.now());
    expect(changes).toHaveLength(0);
    await scheduler.stop();
  });
});

describe("ProbeScheduler.sync", () => {
  it("keeps state and moves to the new period when only timing changes", async () => {
    const { clock, prober, scheduler, changes } = setup();
    scheduler.sync([workerSpec("a")]);
    await clock.advance(0);
    expect(scheduler.state("a")).toMatchObject({ healthy: true, known: true });
    scheduler.sync([workerSpec("a", { periodMs: 5_000, failureThreshold: 1 })]);
    expect(scheduler.state("a")).toMatchObject({ healthy: true, known: true });
    const before = prober.calls.length;
    await clock.advance(4_999);
    expect(prober.calls.length).toBe(before);
    await clock.advance(1);
    expect(prober.calls.length).toBe(before + 1);
    expect(changes).toHaveLength(1);
    await scheduler.stop();
  });

  it("does nothing for an identical spec (no restart, no extra probe)", async () => {
    const { clock, prober, scheduler } = setup();
    scheduler.sync([workerSpec("a")]);
    await clock.advance(0);
    scheduler.sync([workerSpec("a")]);
    scheduler.sync([workerSpec("a")]);
    await clock.advance(PERIOD - 1);
    expect(prober.calls).toHaveLength(1);
    await scheduler.stop();
  });

  it("restarts from unknown when the target changes, and says so", async () => {
    const { clock, scheduler, changes } = setup();
    scheduler.sync([workerSpec("a")]);
    await clock.advance(0);
    scheduler.sync([workerSpec("a", { probe: { mode: "TCP", port: 81 } })]);
    expect(scheduler.state("a")).toMatchObject({ healthy: false, known: false });
    expect(changes.map(c => c.state.known)).toEqual([true, false]);
    await scheduler.stop();
  });

  it("stops removed keys: no more probes, and no onChange even from an in-flight probe", async () => {
    const { clock, prober, scheduler, changes } = setup();
    prober.deferred = true;
    scheduler.sync([workerSpec("a"), workerSpec("bb")]);
    await clock.advance(0);
    expect(prober.inFlight()).toBe(2);
    scheduler.sync([workerSpec("bb")]);
    expect(scheduler.size()).toBe(1);
    expect(scheduler.state("a")).toBeUndefined();
    prober.resolveNext(); // a's probe finishes after removal
    prober.resolveNext();
    await flushPromises();
    expect(changes.map(c => c.key)).toEqual(["bb"]);
    prober.deferred = false;
    await clock.advance(10 * PERIOD);
    expect(prober.calls.filter(c => c.address === workerSpec("a").address)).toHaveLength(1);
    await scheduler.stop();
  });

  it("ignores duplicate keys after the first", async () => {
    const { clock, prober, scheduler } = setup();
    scheduler.sync([workerSpec("a"), workerSpec("a", { address: "10.9.9.9" })]);
    await clock.advance(0);
    expect(prober.calls.map(c => c.address)).toEqual([workerSpec("a").address]);
    await scheduler.stop();
  });
});

describe("ProbeScheduler timing", () => {
  it("jitters the first probe uniformly within the period", async () => {
    const { clock, prober, scheduler } = setup({ random: () => 0.75 });
    const start = clock.now();
    scheduler.sync([workerSpec("a")]);
    await clock.advance(749);
    expect(prober.calls).toHaveLength(0);
    await clock.advance(1);
    expect(prober.calls[0]!.at - start).toBe(750);
    // then exactly one period apart, on the grid
    await clock.advance(PERIOD);
    expect(prober.calls[1]!.at - start).toBe(1_750);
    await scheduler.stop();
  });

  it("spreads many workers' first probes over [0, period)", async () => {
    const { clock, prober, scheduler } = setup({ random: Math.random });
    const start = clock.now();
    scheduler.sync(
      Array.from({ length: 200 }, (_, i) => workerSpec(`w${i}`, { address: `10.1.0.${i}` })),
    );
    await clock.advance(PERIOD - 1);
    const offsets = prober.calls.map(c => c.at - start);
    expect(offsets).toHaveLength(200);
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...offsets)).toBeLessThan(PERIOD);
    // not all at once: at least a quarter of the period between first and last
    expect(Math.max(...offsets) - Math.min(...offsets)).toBeGreaterThan(PERIOD / 4);
    await scheduler.stop();
  });

  it("waits for the initial delay counted from the pod start", async () => {
    const { clock, prober, scheduler } = setup();
    const podStartedAt = new Date(clock.now() - 4_000);
    scheduler.sync([workerSpec("a", { podStartedAt, initialDelayMs: 10_000 })]);
    await clock.advance(5_999);
    expect(prober.calls).toHaveLength(0);
    await clock.advance(1);
    expect(prober.calls).toHaveLength(1);
    await scheduler.stop();
  });

  it("skips slots missed by a probe that outlived its period", async () => {
    const { clock, prober, scheduler, probes } = setup();
    prober.deferred = true;
    const start = clock.now();
    scheduler.sync([workerSpec("a", { timeoutMs: 5_000 })]);
    await clock.advance(0);
    await clock.advance(2_500);
    prober.resolveNext();
    await flushPromises();
    prober.deferred = false;
    await clock.advance(499);
    expect(prober.calls).toHaveLength(1);
    await clock.advance(1);
    expect(prober.calls.map(c => c.at - start)).toEqual([0, 3_000]);
    expect(probes[0]!.lateMs).toBe(0);
    await scheduler.stop();
  });
});

describe("ProbeScheduler concurrency", () => {
  it("caps probes in flight, queues the rest FIFO and reports the depth", async () => {
    const { clock, prober, scheduler, depths, probes } = setup({ maxConcurrent: 2 });
    prober.deferred = true;
    scheduler.sync(["a", "bb", "ccc", "dddd", "eeeee"].map(key => workerSpec(key)));
    await clock.advance(0);
    expect(prober.inFlight()).toBe(2);
    expect(scheduler.queueDepth()).toBe(3);
    expect(depths.at(-1)).toBe(3);
    await clock.advance(10);
    prober.resolveNext();
    await flushPromises();
    expect(prober.inFlight()).toBe(2);
    expect(scheduler.queueDepth()).toBe(2);
    expect(prober.calls.map(c => c.address)).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
    while (prober.inFlight() > 0) {
      prober.resolveNext();
      await flushPromises();
    }
    expect(scheduler.queueDepth()).toBe(0);
    expect(depths.at(-1)).toBe(0);
    // the queued ones report how late they started
    expect(probes.find(p => p.key === "ccc")!.lateMs).toBe(10);
    expect(Math.max(...depths)).toBe(3);
    await scheduler.stop();
  });

  it("never exceeds the cap under load", async () => {
    const { clock, prober, scheduler, depths } = setup({ maxConcurrent: 3, random: Math.random });
    prober.latencyMs = 300;
    let maxSeen = 0;
    prober.onCall = () => {
      maxSeen = Math.max(maxSeen, scheduler.inFlight());
    };
    scheduler.sync(
      Array.from({ length: 50 }, (_, i) => workerSpec(`k${i}`, { address: `10.2.0.${i}` })),
    );
    await clock.advance(5 * PERIOD);
    expect(maxSeen).toBe(3);
    expect(Math.max(...depths)).toBeGreaterThan(10);
    // 3 slots, 300 ms each, 5 s: at most 3 * ceil(5000 / 300) = 51 probes started
    expect(prober.calls.length).toBeGreaterThan(40);
    expect(prober.calls.length).toBeLessThanOrEqual(51);
    const stopped = scheduler.stop();
    await clock.advance(300); // lets the in-flight probes answer
    await stopped;
  });
});

describe("ProbeScheduler robustness", () => {
  it("fails and frees the slot when a prober never settles", async () => {
    const { clock, prober, scheduler, changes } = setup({ maxConcurrent: 1 });
    prober.deferred = true;
    scheduler.sync([workerSpec("a", { failureThreshold: 1, timeoutMs: 500 })]);
    await clock.advance(0);
    await clock.advance(2_499);
    expect(scheduler.inFlight()).toBe(1);
    await clock.advance(1);
    expect(scheduler.inFlight()).toBe(0);
    expect(changes[0]!.state).toMatchObject({
      healthy: false,
      known: true,
      reason: "probe did not finish within 500 ms",
    });
    // the abandoned attempt's late answer is ignored
    prober.resolveNext(true);
    await flushPromises();
    expect(scheduler.state("a")!.healthy).toBe(false);
    await scheduler.stop();
  });

  it("turns a throwing prober into a failure", async () => {
    const clock = new FakeClock();
    const changes: ProbeState[] = [];
    const boom: Prober = () => {
      throw new Error("boom");
    };
    const scheduler = new ProbeScheduler({
      probers: { TCP: boom, HTTP: boom, PostgreSQL: boom, GRPC: boom },
      maxConcurrent: 1,
      clock,
      random: () => 0,
      onChange: (_, state) => changes.push(state),
    });
    scheduler.sync([workerSpec("a", { failureThreshold: 1 })]);
    await clock.advance(0);
    expect(changes[0]).toMatchObject({ healthy: false, reason: "prober error: boom" });
    await scheduler.stop();
  });
});

describe("ProbeScheduler.stop", () => {
  it("is idempotent, clears every timer and stops reporting", async () => {
    const { clock, scheduler, prober, changes } = setup();
    scheduler.sync([workerSpec("a"), workerSpec("bb")]);
    await clock.advance(0);
    const first = scheduler.stop();
    expect(scheduler.stop()).toBe(first);
    await first;
    await scheduler.stop();
    expect(clock.pending()).toBe(0);
    expect(scheduler.size()).toBe(0);
    const calls = prober.calls.length;
    const reported = changes.length;
    scheduler.sync([workerSpec("ccc")]);
    await clock.advance(10 * PERIOD);
    expect(prober.calls.length).toBe(calls);
    expect(changes.length).toBe(reported);
  });

  it("waits for in-flight probes, bounded by stopWaitMs", async () => {
    const { clock, prober, scheduler } = setup();
    prober.deferred = true;
    scheduler.sync([workerSpec("a"), workerSpec("bb")]);
    await clock.advance(0);
    let stopped = false;
    void scheduler.stop().then(() => {
      stopped = true;
    });
    prober.resolveNext();
    await flushPromises();
    expect(stopped).toBe(false);
    prober.resolveNext();
    await flushPromises();
    expect(stopped).toBe(true);
  });

  it("gives up waiting after stopWaitMs", async () => {
    const { clock, prober, scheduler } = setup();
    prober.deferred = true;
    scheduler.sync([workerSpec("a", { timeoutMs: 60_000 })]);
    await clock.advance(0);
    let stopped = false;
    void scheduler.stop().then(() => {
      stopped = true;
    });
    await clock.advance(4_999);
    expect(stopped).toBe(false);
    await clock.advance(1);
    expect(stopped).toBe(true);
  });
});
