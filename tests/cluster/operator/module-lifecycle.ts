// The module's lifecycle in the operator stand-in, as addon-operator drives it through its `main`
// queue. Enabling queues the onStartup hooks, then the start of the module's monitors (kubernetes
// bindings, whose Synchronization runs queue behind it, and schedules), then a ModuleRun: ONE
// task running the beforeHelm hooks, the Helm release and the afterHelm hooks. A settings or
// values change queues another ModuleRun (a waiting one absorbs it). Disabling drops whatever the
// enabled module still had queued — a failing ModuleRun included — and queues the monitors' stop,
// the release's uninstall and the afterDeleteHelm hooks; enabling drops a pending uninstall.
// Why it is shaped so: no transition waits for a queued task. A task that fails stays at the
// head of the queue and is retried with backoff, and every attempt reads the values in force
// when it runs, so a settings fix takes effect at the next retry. (Before, enabling awaited its
// first module run; a release that could not render never finished it, the operator's settings
// handling waited behind it, and only a restart applied fixed settings.) The effects — running a
// hook, the release, the monitors — are injected, so this state machine is tested on its own.
import { describeError } from "../../../images/agent/src/kube/errors.js";
import type { Logger } from "../../../images/agent/src/log.js";
import type { MainQueue } from "./queue.js";

/** The lifecycle bindings of a module hook. */
export type LifecycleBinding = "onStartup" | "beforeHelm" | "afterHelm" | "afterDeleteHelm";

/** What the lifecycle does to the world; each call runs inside a queue task. */
export interface ModuleEffects {
  /** Names of the hooks with `binding`, in the order addon-operator runs them. */
  lifecycleHooks(binding: LifecycleBinding): readonly string[];
  /** Runs one hook for a lifecycle binding, with the values in force now. */
  runLifecycleHook(hook: string, binding: LifecycleBinding): Promise<void>;
  /** Renders and applies the Helm release with the values in force now. */
  release(reason: string): Promise<void>;
  /** Uninstalls the release. */
  uninstall(): Promise<void>;
  /** Starts (or restarts) the kubernetes bindings and schedules; idempotent. */
  startMonitors(): Promise<void>;
  stopMonitors(): Promise<void>;
}

/** The queue key of a ModuleRun (beforeHelm, helm, afterHelm). */
export const MODULE_RUN = "ModuleRun";

/** One module's lifecycle on the main queue (see file header). */
export class ModuleLifecycle {
  readonly #queue: MainQueue;
  readonly #effects: ModuleEffects;
  readonly #log: Logger;
  #enabled = false;
  /** Startup (onStartup, monitors) still queued: its own ModuleRun is yet to be queued. */
  #starting = false;
  /** The last transition or run request has finished (the queue may still hold others). */
  #settled = true;
  #epoch = 0;

  constructor(queue: MainQueue, effects: ModuleEffects, log: Logger) {
    this.#queue = queue;
    this.#effects = effects;
    this.#log = log;
  }

  /** The module is enabled (its tasks run). */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** The latest enable, run or disable finished; with an empty queue, the module converged. */
  get settled(): boolean {
    return this.#settled;
  }

  /** Enables the module: onStartup hooks, monitors, then a ModuleRun; returns at once. */
  enable(reason: string): void {
    this.#queue.cancel(() => true, "the module is enabled");
    this.#enabled = true;
    this.#starting = true;
    const epoch = this.#begin();
    this.#inBackground(epoch, "module startup", async () => {
      for (const hook of this.#effects.lifecycleHooks("onStartup")) {
        await this.#moduleTask(`onStartup/${hook}`, () =>
          this.#effects.runLifecycleHook(hook, "onStartup"),
        );
      }
      await this.#moduleTask("monitors", () => this.#effects.startMonitors());
      if (epoch === this.#epoch) this.#starting = false;
      await this.#moduleTask(MODULE_RUN, () => this.#moduleRun(reason));
    });
  }

  /** Queues a ModuleRun (settings or values changed); a startup's own run reads them anyway. */
  rerun(reason: string): void {
    if (!this.#enabled || this.#starting) return;
    const epoch = this.#begin();
    this.#inBackground(epoch, reason, () =>
      this.#moduleTask(MODULE_RUN, () => this.#moduleRun(reason)),
    );
  }

  /** Disables the module: drops its queued work, stops monitors, uninstalls; returns at once. */
  disable(): void {
    this.#queue.cancel(() => true, "the module is disabled");
    this.#enabled = false;
    this.#starting = false;
    const epoch = this.#begin();
    this.#inBackground(epoch, "module disable", async () => {
      await this.#queue.enqueue("monitors-stop", () => this.#effects.stopMonitors());
      await this.#queue.enqueue("helm-delete", () => this.#effects.uninstall());
      for (const hook of this.#effects.lifecycleHooks("afterDeleteHelm")) {
        await this.#queue.enqueue(`afterDeleteHelm/${hook}`, () =>
          this.#effects.runLifecycleHook(hook, "afterDeleteHelm"),
        );
      }
    });
  }

  /** Queues a task of the enabled module (a kubernetes or schedule hook run). */
  hookTask(key: string, run: () => Promise<void>): Promise<void> {
    return this.#moduleTask(key, run);
  }

  /** A task that does nothing once the module is disabled (a stale one from before). */
  #moduleTask(key: string, run: () => Promise<void>): Promise<void> {
    return this.#queue.enqueue(key, async () => {
      if (this.#enabled) await run();
    });
  }

  /** beforeHelm hooks, the release, afterHelm hooks: a retry starts over, with current values. */
  async #moduleRun(reason: string): Promise<void> {
    await this.#hooks("beforeHelm");
    try {
      await this.#effects.release(reason);
    } catch (err) {
      throw new Error("helm release", { cause: err });
    }
    await this.#hooks("afterHelm");
  }

  async #hooks(binding: "beforeHelm" | "afterHelm"): Promise<void> {
    for (const hook of this.#effects.lifecycleHooks(binding)) {
      try {
        await this.#effects.runLifecycleHook(hook, binding);
      } catch (err) {
        throw new Error(`${binding} hook ${hook}`, { cause: err });
      }
    }
  }

  #begin(): number {
    this.#settled = false;
    this.#epoch += 1;
    return this.#epoch;
  }

  #inBackground(epoch: number, what: string, chain: () => Promise<void>): void {
    chain().then(
      () => {
        if (epoch === this.#epoch) this.#settled = true;
      },
      (err: unknown) => this.#log.info(`${what} abandoned`, { error: describeError(err) }),
    );
  }
}
