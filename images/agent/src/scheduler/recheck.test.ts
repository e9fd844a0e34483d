// Fast re-checks (recheckMs, the CRD's recheckIntervalMilliseconds) on fake time: a probe runs
// on its period while its results agree with its published state, switches to the re-check
// interval from the first result that disagrees, and goes back to the period when the state
// flips or a result agrees again. The target is a switch the test flips at a given time.

import { FakeClock } from "../../../../tests/support/fake-clock.js";
import type { Prober } from "../probes/types.js";
import { ProbeScheduler } from "./scheduler.js";
import type { ProbeState, WorkerSpec } from "./types.js";

const PERIOD = 10_000;
const RECHECK = 1_000;
const T0 = Date.UTC(2025, 0, 1);

function workerSpec(overrides: Partial<WorkerSpec> = {}): WorkerSpec {
  return {
    key: "swh/pod/10.0.0.1/0",
    address: "10.0.0.1",
    probe: { mode: "PostgreSQL", port: 5432 } as WorkerSpec["probe"],
    periodMs: PERIOD,
    timeoutMs: 1_000,
    initialDelayMs: 0,
    successThreshold: 1,
    failureThreshold: 3,
    recheckMs: RECHECK,
    ...overrides,
  };
}

/** A scheduler over a target that is up or down, with every probe and change recorded. */
function setup(up: boolean) {
  const clock = new FakeClock(T0);
  const target = { up };
  const probes: Array<{ at: number; ok: boolean; recheck: boolean }> = [];
  const changes: Array<{ at: number; state: ProbeState }> = [];
  const probe: Prober = () =>
    Promise.resolve({
      ok: target.up,
      reason: target.up ? "" : "connect ECONNREFUSED",
      durationMs: 1,
    });
  const scheduler = new ProbeScheduler({
    probers: { TCP: probe, HTTP: probe, PostgreSQL: probe, GRPC: probe },
    maxConcurrent: 10,
    clock,
    random: () => 0,
    observer: {
      onProbe: (_spec, outcome, _lateMs, recheck) =>
        probes.push({ at: clock.now() - T0, ok: outcome.ok, recheck }),
    },
    onChange: (_key, state) => changes.push({ at: clock.now() - T0, state }),
  });
  /** Seconds since start of every probe (the scheduler's first slot is at 0). */
  const times = (): number[] => probes.map(p => p.at / 1000);
  const rechecks = (): number[] => probes.filter(p => p.recheck).map(p => p.at / 1000);
  /** Changes of `healthy` (an adopted unhealthy state also reports its first failure reason). */
  const flips = (): Array<[number, boolean]> => {
    const out: Array<[number, boolean]> = [];
    let last: boolean | undefined;
    for (const c of changes) {
      if (c.state.healthy !== last) out.push([c.at / 1000, c.state.healthy]);
      last = c.state.healthy;
    }
    return out;
  };
  /** Runs until `ms` after start, flipping the target to `up` at `flipAt` if given. */
  const runTo = async (ms: number, flip?: { at: number; up: boolean }): Promise<void> => {
    if (flip !== undefined) {
      await clock.advanceTo(T0 + flip.at);
      target.up = flip.up;
    }
    await clock.advanceTo(T0 + ms);
  };
  return { clock, scheduler, probes, changes, flips, times, rechecks, runTo };
}

describe("fast re-checks: steady state", () => {
  it.each([
    // a healthy endpoint whose probe keeps passing
    ["healthy and passing", true, true],
    // an unhealthy endpoint whose probe keeps failing
    ["unhealthy and failing", false, false],
  ])("%s: one probe per period, no re-check, no change", async (_name, adopted, up) => {
    const { scheduler, flips, times, rechecks, runTo } = setup(up);
    scheduler.sync([workerSpec({ initialHealthy: adopted })]);
    await runTo(100_000);
    expect(times()).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(rechecks()).toEqual([]);
    // no flip (an adopted unhealthy state reports its first failure reason, nothing more)
    expect(flips()).toEqual(adopted ? [] : [[0, false]]);
    await scheduler.stop();
  });

  it("probes exactly as often as without a re-check interval while nothing changes", async () => {
    const withRecheck = setup(true);
    const without = setup(true);
    withRecheck.scheduler.sync([workerSpec({ initialHealthy: true })]);
    without.scheduler.sync([workerSpec({ initialHealthy: true, recheckMs: undefined })]);
    await withRecheck.runTo(600_000);
    await without.runTo(600_000);
    expect(withRecheck.times()).toEqual(without.times());
    expect(withRecheck.probes).toHaveLength(61);
    await withRecheck.scheduler.stop();
    await without.scheduler.stop();
  });
});

describe("fast re-checks: a passing endpoint fails", () => {
  it("re-checks at the fast interval from the first failure and flips after failureThreshold", async () => {
    const { scheduler, changes, times, rechecks, runTo } = setup(true);
    scheduler.sync([workerSpec({ initialHealthy: true })]);
    await runTo(60_000, { at: 25_000, up: false });
    // first failure on the period slot at 30 s, then 1 s re-checks; the 3rd failure flips it
    expect(times()).toEqual([0, 10, 20, 30, 31, 32, 42, 52]);
    expect(rechecks()).toEqual([31, 32]);
    expect(changes.map(c => [c.at / 1000, c.state.healthy])).toEqual([[32, false]]);
    expect(changes[0]!.state.reason).toBe("connect ECONNREFUSED");
    await scheduler.stop();
  });

  it("without a re-check interval the same failure takes three periods", async () => {
    const { scheduler, changes, times, runTo } = setup(true);
    scheduler.sync([workerSpec({ initialHealthy: true, recheckMs: undefined })]);
    await runTo(60_000, { at: 25_000, up: false });
    expect(times()).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(changes.map(c => [c.at / 1000, c.state.healthy])).toEqual([[50, false]]);
    await scheduler.stop();
  });

  it("goes back to the period when a result agrees again (an isolated failure)", async () => {
    const { scheduler, changes, times, rechecks, runTo } = setup(true);
    scheduler.sync([workerSpec({ initialHealthy: true })]);
    await runTo(30_500, { at: 25_000, up: false });
    await runTo(60_000, { at: 30_500, up: true });
    // failure at 30 s, re-check at 31 s passes: back to 10 s slots from there
    expect(times()).toEqual([0, 10, 20, 30, 31, 41, 51]);
    expect(rechecks()).toEqual([31]);
    expect(changes).toEqual([]);
    await scheduler.stop();
  });

  it("uses the re-check interval for every failureThreshold", async () => {
    const { scheduler, changes, rechecks, runTo } = setup(true);
    scheduler.sync([workerSpec({ initialHealthy: true, failureThreshold: 5 })]);
    await runTo(60_000, { at: 25_000, up: false });
    expect(rechecks()).toEqual([31, 32, 33, 34]);
    expect(changes.map(c => c.at / 1000)).toEqual([34]);
    await scheduler.stop();
  });
});

describe("fast re-checks: a failing endpoint recovers", () => {
  it("re-checks at the fast interval from the first success and flips after successThreshold", async () => {
    const { scheduler, flips, times, rechecks, runTo } = setup(false);
    scheduler.sync([workerSpec({ initialHealthy: false, successThreshold: 3 })]);
    await runTo(60_000, { at: 25_000, up: true });
    expect(times()).toEqual([0, 10, 20, 30, 31, 32, 42, 52]);
    expect(rechecks()).toEqual([31, 32]);
    // the adopted state reports its first failure reason at 0 s; the flip comes at 32 s
    expect(flips()).toEqual([
      [0, false],
      [32, true],
    ]);
    await scheduler.stop();
  });

  it("goes back to the period when a failure follows the first success", async () => {
    const { scheduler, flips, times, runTo } = setup(false);
    scheduler.sync([workerSpec({ initialHealthy: false, successThreshold: 3 })]);
    await runTo(30_500, { at: 25_000, up: true });
    await runTo(60_000, { at: 30_500, up: false });
    expect(times()).toEqual([0, 10, 20, 30, 31, 41, 51]);
    expect(flips()).toEqual([[0, false]]);
    await scheduler.stop();
  });

  it("brings a new endpoint in after successThreshold re-checks, not periods", async () => {
    const { scheduler, changes, times, runTo } = setup(true);
    // a fresh worker is published not ready: its first success disagrees
    scheduler.sync([workerSpec({ successThreshold: 2 })]);
    await runTo(30_000);
    expect(times()).toEqual([0, 1, 11, 21]);
    expect(changes.map(c => [c.at / 1000, c.state.healthy, c.state.known])).toEqual([
      [1, true, true],
    ]);
    await scheduler.stop();
  });

  it("does not hurry a new endpoint's failures: they agree with 'not ready'", async () => {
    const { scheduler, times, rechecks, runTo } = setup(false);
    scheduler.sync([workerSpec()]);
    await runTo(30_000);
    expect(times()).toEqual([0, 10, 20, 30]);
    expect(rechecks()).toEqual([]);
    await scheduler.stop();
  });
});

describe("fast re-checks: spec changes", () => {
  it("a re-check interval removed during re-checks moves the next probe to the period", async () => {
    const { scheduler, times, runTo } = setup(true);
    scheduler.sync([workerSpec({ initialHealthy: true })]);
    await runTo(30_500, { at: 25_000, up: false });
    scheduler.sync([workerSpec({ initialHealthy: true, recheckMs: undefined })]);
    await runTo(60_000);
    expect(times()).toEqual([0, 10, 20, 30, 40, 50, 60]);
    await scheduler.stop();
  });

  it("a re-check interval added during a disagreement takes effect at once", async () => {
    const { scheduler, changes, times, runTo } = setup(true);
    scheduler.sync([workerSpec({ initialHealthy: true, recheckMs: undefined })]);
    await runTo(30_500, { at: 25_000, up: false });
    scheduler.sync([workerSpec({ initialHealthy: true })]);
    await runTo(40_000);
    expect(times()).toEqual([0, 10, 20, 30, 31, 32]);
    expect(changes.map(c => c.at / 1000)).toEqual([32]);
    await scheduler.stop();
  });

  it("ignores a re-check interval that is not below the period", async () => {
    const { scheduler, times, runTo } = setup(true);
    scheduler.sync([workerSpec({ initialHealthy: true, recheckMs: PERIOD })]);
    await runTo(60_000, { at: 25_000, up: false });
    expect(times()).toEqual([0, 10, 20, 30, 40, 50, 60]);
    await scheduler.stop();
  });
});
