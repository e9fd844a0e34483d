// Tests for the operator stand-in's module lifecycle on its main queue, with fake effects (hooks,
// release, monitors record what they do; the release fails while the settings cannot render):
// enabling never waits for a run, a failing ModuleRun is retried with the settings in force at
// each attempt — so settings that break the render at startup converge once fixed, without a
// restart — the order of startup work is addon-operator's, and disabling drops a failing run.
import { createLogger } from "../../../images/agent/src/log.js";
import {
  MODULE_RUN,
  ModuleLifecycle,
  type LifecycleBinding,
  type ModuleEffects,
} from "../../cluster/operator/module-lifecycle.js";
import { MainQueue } from "../../cluster/operator/queue.js";

const log = createLogger({ level: "error", sink: () => undefined });

const HOOKS: Record<LifecycleBinding, string[]> = {
  onStartup: ["crds"],
  beforeHelm: ["discover"],
  afterHelm: ["status"],
  afterDeleteHelm: ["cleanup"],
};

/** A module whose release renders only with `settings.cpu` a quantity. */
class FakeModule {
  settings: Record<string, unknown>;
  readonly events: string[] = [];
  readonly failing = new Set<string>();
  readonly queue = new MainQueue(log, { retryDelayMs: () => 5 });
  readonly lifecycle: ModuleLifecycle;
  monitors = false;

  constructor(settings: Record<string, unknown>) {
    this.settings = settings;
    this.lifecycle = new ModuleLifecycle(this.queue, this.#effects(), log);
  }

  #effects(): ModuleEffects {
    return {
      lifecycleHooks: binding => HOOKS[binding],
      runLifecycleHook: (hook, binding) => this.#step(`${binding}:${hook}`),
      release: () => {
        const cpu = String(this.settings.cpu);
        this.events.push(`release cpu=${cpu}`);
        if (/^\d+m$/.test(cpu)) return Promise.resolve();
        return Promise.reject(new Error(`quantities must match, got ${cpu}`));
      },
      uninstall: () => this.#step("uninstall"),
      startMonitors: () => {
        this.monitors = true;
        this.events.push("monitors");
        // A binding's Synchronization, queued as the real watches queue it.
        void this.lifecycle.hookTask("kubernetes/sync", () => this.#step("sync")).catch(() => 0);
        return Promise.resolve();
      },
      stopMonitors: () => {
        this.monitors = false;
        this.events.push("monitors-stop");
        return Promise.resolve();
      },
    };
  }

  #step(name: string): Promise<void> {
    this.events.push(name);
    return this.failing.has(name) ? Promise.reject(new Error(`${name} failed`)) : Promise.resolve();
  }

  converged(): boolean {
    return this.lifecycle.settled && this.queue.length === 0;
  }

  count(prefix: string): number {
    return this.events.filter(e => e.startsWith(prefix)).length;
  }
}

async function until(what: string, cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 2));
  }
}

describe("ModuleLifecycle", () => {
  it("starts like addon-operator: onStartup, monitors, Synchronization, then one ModuleRun", async () => {
    const m = new FakeModule({ cpu: "50m" });
    m.lifecycle.enable("module enabled");
    expect(m.lifecycle.enabled).toBe(true);
    await until("convergence", () => m.converged());
    expect(m.events).toEqual([
      "onStartup:crds",
      "monitors",
      "sync",
      "beforeHelm:discover",
      "release cpu=50m",
      "afterHelm:status",
    ]);
  });

  it("enabling with settings that break the release returns at once and keeps retrying", async () => {
    const m = new FakeModule({ cpu: "lots" });
    m.lifecycle.enable("module enabled");
    await until("three failed release attempts", () => m.count("release cpu=lots") >= 3);
    expect(m.converged()).toBe(false);
    expect(m.queue.lastError).toMatch(
      new RegExp(`^${MODULE_RUN}: helm release: quantities must match, got lots$`),
    );
    // Each retry starts the run over: beforeHelm runs before every release attempt.
    expect(m.count("beforeHelm:discover")).toBeGreaterThanOrEqual(m.count("release") - 1);
    expect(m.count("afterHelm")).toBe(0);
    m.lifecycle.disable();
    await until("disable", () => m.converged());
  });

  it("converges once the settings are fixed, without a restart (the fix queues a rerun)", async () => {
    const m = new FakeModule({ cpu: "lots" });
    m.lifecycle.enable("module enabled");
    await until("a failed release", () => m.count("release cpu=lots") >= 2);
    m.settings = { cpu: "100m" };
    m.lifecycle.rerun("settings changed");
    await until("convergence", () => m.converged());
    expect(m.queue.lastError).toBeUndefined();
    const firstGood = m.events.indexOf("release cpu=100m");
    expect(firstGood).toBeGreaterThan(0);
    // No release with the broken settings after the fix was in force.
    expect(m.events.slice(firstGood).filter(e => e === "release cpu=lots")).toEqual([]);
    expect(m.events.at(-1)).toBe("afterHelm:status");
    expect(m.count("onStartup")).toBe(1);
  });

  it("a retry reads the settings in force even when nothing queues a rerun", async () => {
    const m = new FakeModule({ cpu: "lots" });
    m.lifecycle.enable("module enabled");
    await until("a failed release", () => m.count("release cpu=lots") >= 1);
    m.settings = { cpu: "200m" };
    await until("convergence", () => m.converged());
    expect(m.events.filter(e => e.startsWith("release")).at(-1)).toBe("release cpu=200m");
  });

  it("a rerun asked during startup is absorbed by the startup's own run", async () => {
    const m = new FakeModule({ cpu: "lots" });
    m.failing.add("onStartup:crds");
    m.lifecycle.enable("module enabled");
    await until("a failed onStartup", () => m.count("onStartup:crds") >= 2);
    m.settings = { cpu: "50m" };
    m.lifecycle.rerun("settings changed");
    m.failing.delete("onStartup:crds");
    await until("convergence", () => m.converged());
    expect(m.count("release")).toBe(1);
    expect(m.events.slice(-5)).toEqual([
      "monitors",
      "sync",
      "beforeHelm:discover",
      "release cpu=50m",
      "afterHelm:status",
    ]);
  });

  it("a failing beforeHelm hook fails the run, and the retry starts over", async () => {
    const m = new FakeModule({ cpu: "50m" });
    m.failing.add("beforeHelm:discover");
    m.lifecycle.enable("module enabled");
    await until("two failed runs", () => m.count("beforeHelm:discover") >= 2);
    expect(m.queue.lastError).toBe(
      `${MODULE_RUN}: beforeHelm hook discover: beforeHelm:discover failed`,
    );
    expect(m.count("release")).toBe(0);
    m.failing.delete("beforeHelm:discover");
    await until("convergence", () => m.converged());
    expect(m.count("release")).toBe(1);
  });

  it("disabling drops a failing run: no further attempts, monitors stop, release uninstalled", async () => {
    const m = new FakeModule({ cpu: "lots" });
    m.lifecycle.enable("module enabled");
    await until("a failed release", () => m.count("release cpu=lots") >= 2);
    m.lifecycle.disable();
    expect(m.lifecycle.enabled).toBe(false);
    await until("disable", () => m.converged());
    const attempts = m.count("release");
    expect(m.events.slice(-3)).toEqual(["monitors-stop", "uninstall", "afterDeleteHelm:cleanup"]);
    expect(m.monitors).toBe(false);
    await new Promise(resolve => setTimeout(resolve, 30));
    expect(m.count("release")).toBe(attempts);
    expect(m.queue.lastError).toBeUndefined();
  });

  it("enabling again drops a pending (failing) uninstall and runs the module", async () => {
    const m = new FakeModule({ cpu: "50m" });
    m.lifecycle.enable("module enabled");
    await until("convergence", () => m.converged());
    m.failing.add("uninstall");
    m.lifecycle.disable();
    await until("a failed uninstall", () => m.count("uninstall") >= 2);
    m.lifecycle.enable("module enabled");
    await until("convergence", () => m.converged());
    expect(m.count("afterDeleteHelm")).toBe(0);
    expect(m.events.slice(-3)).toEqual([
      "beforeHelm:discover",
      "release cpu=50m",
      "afterHelm:status",
    ]);
    expect(m.monitors).toBe(true);
  });

  it("hook tasks of a disabled module do nothing", async () => {
    const m = new FakeModule({ cpu: "50m" });
    let ran = false;
    await m.lifecycle.hookTask("kubernetes/late", () => {
      ran = true;
      return Promise.resolve();
    });
    expect(ran).toBe(false);
    m.lifecycle.rerun("values changed by a hook");
    await m.queue.whenIdle();
    expect(m.events).toEqual([]);
  });
});
