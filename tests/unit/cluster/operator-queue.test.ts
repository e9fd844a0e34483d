// Tests for the operator stand-in's `main` queue: tasks run one at a time in order; a failing
// task stays at the head and is retried (each attempt reading the state of the moment, so a fix
// made meanwhile is picked up); a waiting key is not queued twice; cancelling drops waiting
// tasks, ends a failing head's retries and keeps a running one from being retried.
import { createLogger } from "../../../images/agent/src/log.js";
import { MainQueue, TaskCancelledError, retryDelayMs } from "../../cluster/operator/queue.js";

const lines: string[] = [];
const log = createLogger({ level: "debug", sink: line => void lines.push(line) });
/** A queue whose retries come after 5 ms, not 5 s. */
const fastQueue = (): MainQueue => new MainQueue(log, { retryDelayMs: () => 5 });
const tick = (ms = 20): Promise<void> => new Promise(resolve => setTimeout(resolve, ms));
/** A task body that does `effect` and succeeds. */
const doing = (effect: () => void) => (): Promise<void> => {
  effect();
  return Promise.resolve();
};

afterEach(() => {
  lines.length = 0;
});

describe("retryDelayMs", () => {
  it("starts at 5 s, doubles with ±20% jitter and stops at 32 s", () => {
    expect(retryDelayMs(1, () => 0.5)).toBe(5_000);
    expect(retryDelayMs(2, () => 0.5)).toBe(10_000);
    expect(retryDelayMs(3, () => 0)).toBe(16_000);
    expect(retryDelayMs(3, () => 1)).toBe(24_000);
    expect(retryDelayMs(9, () => 1)).toBe(32_000);
  });
});

describe("MainQueue", () => {
  it("runs tasks one at a time, in order", async () => {
    const queue = fastQueue();
    const seen: string[] = [];
    let running = 0;
    const task = (name: string) => async (): Promise<void> => {
      running++;
      expect(running).toBe(1);
      await tick(5);
      seen.push(name);
      running--;
    };
    await Promise.all([queue.enqueue("a", task("a")), queue.enqueue("b", task("b"))]);
    expect(seen).toEqual(["a", "b"]);
    expect(queue.length).toBe(0);
  });

  it("retries a failing head with the state of each attempt, blocking what waits behind", async () => {
    const queue = fastQueue();
    const state = { renderable: false };
    const attempts: boolean[] = [];
    const after: string[] = [];
    const run = queue.enqueue("ModuleRun", () => {
      attempts.push(state.renderable);
      return state.renderable ? Promise.resolve() : Promise.reject(new Error("render failed"));
    });
    const behind = queue.enqueue(
      "kubernetes/hook",
      doing(() => after.push("ran")),
    );
    await tick(30);
    expect(after).toEqual([]);
    expect(queue.lastError).toBe("ModuleRun: render failed");
    state.renderable = true; // the fix, made while the task keeps failing
    await run;
    await behind;
    expect(attempts.length).toBeGreaterThan(1);
    expect(attempts.at(-1)).toBe(true);
    expect(attempts.slice(0, -1).every(a => !a)).toBe(true);
    expect(after).toEqual(["ran"]);
    expect(queue.lastError).toBeUndefined();
    expect(lines.some(l => l.includes("task failed; it stays at the head of the queue"))).toBe(
      true,
    );
  });

  it("does not queue a waiting key twice; both callers resolve with the one run", async () => {
    const queue = fastQueue();
    let release!: () => void;
    const gate = new Promise<void>(resolve => (release = resolve));
    const head = queue.enqueue("head", () => gate);
    let runs = 0;
    const first = queue.enqueue(
      "ModuleRun",
      doing(() => runs++),
    );
    const second = queue.enqueue(
      "ModuleRun",
      doing(() => runs++),
    );
    expect(queue.length).toBe(2);
    release();
    await Promise.all([head, first, second]);
    expect(runs).toBe(1);
  });

  it("cancels waiting tasks at once; their callers get TaskCancelledError", async () => {
    const queue = fastQueue();
    let release!: () => void;
    const head = queue.enqueue("head", () => new Promise<void>(resolve => (release = resolve)));
    let ran = false;
    const waiting = queue.enqueue(
      "helm-delete",
      doing(() => (ran = true)),
    );
    expect(queue.cancel(key => key === "helm-delete", "module enabled")).toBe(1);
    await expect(waiting).rejects.toThrow(TaskCancelledError);
    await expect(waiting).rejects.toThrow("task helm-delete cancelled: module enabled");
    release();
    await head;
    expect(ran).toBe(false);
    expect(queue.length).toBe(0);
  });

  it("ends a failing head's retries when cancelled, without waiting out its backoff", async () => {
    const queue = new MainQueue(log, { retryDelayMs: () => 60_000 });
    let attempts = 0;
    const failing = queue.enqueue("ModuleRun", () => {
      attempts++;
      return Promise.reject(new Error("render failed"));
    });
    const next = queue.enqueue("helm-delete", () => Promise.resolve());
    await tick();
    expect(attempts).toBe(1);
    const started = Date.now();
    queue.cancel(key => key === "ModuleRun", "module disabled");
    await expect(failing).rejects.toThrow(/ModuleRun cancelled: cancelled while failing/);
    await next;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(attempts).toBe(1);
    expect(queue.lastError).toBeUndefined();
  });

  it("lets a running task finish its attempt when cancelled, and does not retry it", async () => {
    const queue = fastQueue();
    let attempts = 0;
    let fail!: () => void;
    const running = queue.enqueue("ModuleRun", () => {
      attempts++;
      return new Promise<void>((_resolve, reject) => (fail = () => reject(new Error("boom"))));
    });
    await tick();
    queue.cancel(() => true, "module disabled");
    fail();
    await expect(running).rejects.toThrow("task ModuleRun cancelled: boom");
    await tick();
    expect(attempts).toBe(1);
    expect(queue.length).toBe(0);
  });

  it("resolves a running task cancelled while it succeeds", async () => {
    const queue = fastQueue();
    let finish!: () => void;
    const running = queue.enqueue("x", () => new Promise<void>(resolve => (finish = resolve)));
    await tick();
    queue.cancel(() => true, "why");
    finish();
    await expect(running).resolves.toBeUndefined();
  });

  it("stops: waiting tasks are dropped and a failing head stops retrying", async () => {
    const queue = new MainQueue(log, { retryDelayMs: () => 60_000 });
    const failing = queue.enqueue("a", () => Promise.reject(new Error("no")));
    const waiting = queue.enqueue("b", () => Promise.resolve());
    await tick();
    queue.stop();
    await expect(waiting).rejects.toThrow("task b cancelled: operator stopping");
    await expect(failing).rejects.toThrow("task a cancelled: operator stopping");
  });

  it("whenIdle resolves once the queue is empty, also after a cancel empties it", async () => {
    const queue = new MainQueue(log, { retryDelayMs: () => 60_000 });
    await queue.whenIdle();
    const failing = queue
      .enqueue("a", () => Promise.reject(new Error("no")))
      .catch((e: unknown) => e);
    await tick();
    const idle = queue.whenIdle();
    queue.cancel(() => true, "why");
    await failing;
    await idle;
    expect(queue.length).toBe(0);
  });
});
