// The write queue on a fake clock: marks coalesce into one flush, a flush in progress absorbs
// new marks into the next one, failures are retried (with backoff, or slowly when retrying cannot
// help) keeping the time each SWH first became dirty, and stop() arms nothing more.

import { FakeClock, flushPromises } from "../../../../tests/support/fake-clock.js";
import { Backoff } from "swh-kube-client";
import { createLogger } from "../log.js";
import { runLimited, SyncQueue, type SyncQueueOptions } from "./sync-queue.js";

const quiet = createLogger({ level: "error", sink: () => undefined });

interface Call {
  readonly uid: string;
  readonly since: number;
  readonly at: number;
}

function setup(
  overrides: Partial<SyncQueueOptions> = {},
  fail: (uid: string, attempt: number) => Error | undefined = () => undefined,
): { clock: FakeClock; queue: SyncQueue; calls: Call[]; flushes: () => number } {
  const clock = new FakeClock(0);
  const calls: Call[] = [];
  const attempts = new Map<string, number>();
  let flushes = 0;
  const queue = new SyncQueue({
    clock,
    coalesceMs: 100,
    concurrency: 2,
    log: quiet,
    retriable: err => !(err instanceof Error && err.message === "bad request"),
    backoff: new Backoff({ initialMs: 200, maxMs: 5_000, jitter: 0 }),
    sync: uid => {
      const attempt = (attempts.get(uid) ?? 0) + 1;
      attempts.set(uid, attempt);
      calls.push({ uid, since: 0, at: clock.now() });
      const error = fail(uid, attempt);
      return error === undefined ? Promise.resolve() : Promise.reject(error);
    },
    onFlushed: () => void flushes++,
    ...overrides,
  });
  return { clock, queue, calls, flushes: () => flushes };
}

describe("SyncQueue", () => {
  it("coalesces marks within the window into one flush", async () => {
    const { clock, queue, calls, flushes } = setup();
    queue.mark("a");
    await clock.advance(50);
    queue.mark("b");
    queue.mark("a");
    expect(calls).toEqual([]);
    await clock.advance(50);
    expect(calls.map(c => [c.uid, c.at])).toEqual([
      ["a", 100],
      ["b", 100],
    ]);
    expect(flushes()).toBe(1);
    expect(queue.pending).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it("keeps the first dirty time of each SWH", async () => {
    const seen: Array<[string, number]> = [];
    const { clock, queue } = setup({
      sync: (uid, since) => {
        seen.push([uid, since]);
        return Promise.resolve();
      },
    });
    queue.mark("a");
    await clock.advance(30);
    queue.mark("a");
    await clock.advance(100);
    expect(seen).toEqual([["a", 0]]);
  });

  it("absorbs marks made during a flush into the next flush", async () => {
    let release: () => void = () => undefined;
    const order: string[] = [];
    const { clock, queue } = setup({
      sync: uid => {
        order.push(uid);
        if (uid !== "a") return Promise.resolve();
        return new Promise(resolve => {
          release = resolve;
        });
      },
    });
    queue.mark("a");
    await clock.advance(100);
    queue.mark("b");
    // No second timer while the flush runs: it re-arms when done.
    expect(clock.pending()).toBe(0);
    release();
    await flushPromises();
    expect(clock.pending()).toBe(1);
    await clock.advance(100);
    expect(order).toEqual(["a", "b"]);
  });

  it("retries failed SWHs with growing backoff, and only those", async () => {
    const { clock, queue, calls } = setup({}, (uid, attempt) =>
      uid === "a" && attempt <= 2 ? new Error("503") : undefined,
    );
    queue.mark("a");
    queue.mark("b");
    await clock.advance(100);
    await clock.advance(200); // first retry after 200 ms
    await clock.advance(400); // second after 400 ms
    expect(calls.map(c => [c.uid, c.at])).toEqual([
      ["a", 100],
      ["b", 100],
      ["a", 300],
      ["a", 700],
    ]);
    await clock.advance(10_000);
    expect(calls).toHaveLength(4);
  });

  it("retries slowly when no failure is worth a soon retry", async () => {
    const { clock, queue, calls } = setup({ slowRetryMs: 30_000 }, (_uid, attempt) =>
      attempt === 1 ? new Error("bad request") : undefined,
    );
    queue.mark("a");
    await clock.advance(100);
    await clock.advance(29_999);
    expect(calls).toHaveLength(1);
    await clock.advance(1);
    expect(calls.map(c => c.at)).toEqual([100, 30_100]);
  });

  it("flushNow runs at once; stop() waits for it and arms nothing more", async () => {
    const { clock, queue, calls } = setup({}, () => new Error("503"));
    queue.mark("a");
    await queue.flushNow();
    expect(calls.map(c => c.at)).toEqual([0]);
    expect(clock.pending()).toBe(1); // the retry
    await queue.stop();
    expect(clock.pending()).toBe(0);
    queue.mark("b");
    await clock.advance(60_000);
    expect(calls).toHaveLength(1);
  });
});

describe("runLimited", () => {
  it("runs every item with at most `limit` at once", async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await runLimited([1, 2, 3, 4, 5], 2, async n => {
      running++;
      peak = Math.max(peak, running);
      await flushPromises();
      done.push(n);
      running--;
    });
    expect(done.sort()).toEqual([1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
  });
});
