// The operator stand-in's core: runs one Deckhouse module the way addon-operator runs it. It
// reads the module's settings and enable flag from the operator ConfigMap (`<moduleCamel>` and
// `<moduleCamel>Enabled` keys, what the deckhouse-controller writes from a ModuleConfig), keeps
// the module's values (settings validated like Deckhouse validates them, hooks' values patches),
// and does what the module's lifecycle (module-lifecycle.ts) asks: onStartup hooks in order; the
// kubernetes bindings, whose hooks run once synchronised and on every change (grouped: one
// context with every snapshot); beforeHelm hooks, the Helm release, afterHelm hooks (again
// whenever settings or values change); schedule bindings on their crontabs; on disable, the
// release's uninstall and the afterDeleteHelm hooks. Everything runs through the sequential
// `main` queue, so hooks never run concurrently, and a failing task is retried with the values
// in force at each attempt: settings never wait for a run to finish.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { parse } from "yaml";
import { describeError } from "../../../images/agent/src/kube/errors.js";
import { Reflector } from "../../../images/agent/src/kube/reflector.js";
import type { KubeRest } from "../../../images/agent/src/kube/rest.js";
import type { Logger } from "../../../images/agent/src/log.js";
import {
  applyValuesPatch,
  camelCaseName,
  loadModuleSchemas,
  type ModuleSchemas,
} from "../module/settings.js";
import { BindingWatch } from "./binding-watch.js";
import { parseCrontab, type Schedule } from "./cron.js";
import type { Discovery } from "./discovery.js";
import { lifecycleOrder, parseBatchConfig, type HookSpec } from "./hook-specs.js";
import { runHook } from "./hook-run.js";
import type { MetricsStore } from "./metrics.js";
import { ModuleLifecycle, type LifecycleBinding, type ModuleEffects } from "./module-lifecycle.js";
import { applyOperations } from "./patch-apply.js";
import { MainQueue, TokenBucket } from "./queue.js";
import { applyRelease, renderChart, uninstallRelease } from "./release.js";

const run = promisify(execFile);

/** Configuration of the module operator. */
export interface ModuleOperatorOptions {
  readonly rest: KubeRest;
  readonly discovery: Discovery;
  readonly log: Logger;
  readonly metrics: MetricsStore;
  /** The module directory (`<modules dir>/<NNN>-<name>`). */
  readonly moduleDir: string;
  readonly moduleName: string;
  /** Namespace the module's release installs into (module.yaml `namespace`). */
  readonly moduleNamespace: string;
  /** The batch hooks executable inside the module's hooks/ directory. */
  readonly hooksExecutable: string;
  /** The operator's namespace and ConfigMap (ADDON_OPERATOR_NAMESPACE / _CONFIG_MAP). */
  readonly configMap: { readonly namespace: string; readonly name: string };
  /** `global` values the platform would provide (images registry, discovery...). */
  readonly globalValues: Record<string, unknown>;
  readonly helm: string;
  readonly jq: string;
  readonly tmpDir: string;
}

/** What /status reports. */
export interface ModuleStatus {
  readonly enabled: boolean;
  /**
   * The latest enable, module run (beforeHelm, release, afterHelm) or disable finished and the
   * queue is empty; false until the operator ConfigMap was read.
   */
  readonly converged: boolean;
  readonly settingsErrors: readonly string[];
  readonly lastError: string | undefined;
  readonly hookRuns: number;
  readonly releaseChecksum: string | undefined;
}

interface ScheduleEntry {
  readonly hook: HookSpec;
  readonly name: string;
  readonly schedule: Schedule;
}

/** One module, run like addon-operator runs it (see file header). */
export class ModuleOperator {
  readonly #o: ModuleOperatorOptions;
  readonly #queue: MainQueue;
  readonly #camel: string;
  readonly #schemas: ModuleSchemas;
  readonly #lifecycle: ModuleLifecycle;
  readonly #buckets = new Map<number, TokenBucket>();
  readonly #trigger = new Map<number, string>();
  #hooks: HookSpec[] = [];
  #watches = new Map<number, BindingWatch[]>();
  #schedules: ScheduleEntry[] = [];
  #ticker: NodeJS.Timeout | undefined;
  #configReflector: Reflector<unknown> | undefined;
  #configValues: Record<string, unknown> = {};
  #moduleValues: Record<string, unknown> = {};
  #settingsKey = "";
  #settingsErrors: string[] = [];
  /** The operator ConfigMap has been read once (before, nothing is known to be converged). */
  #configSeen = false;
  #hookRuns = 0;
  #checksum: string | undefined;

  constructor(options: ModuleOperatorOptions) {
    this.#o = options;
    this.#queue = new MainQueue(options.log.child({ queue: "main" }));
    this.#camel = camelCaseName(options.moduleName);
    this.#schemas = loadModuleSchemas(options.moduleDir);
    this.#lifecycle = new ModuleLifecycle(this.#queue, this.#effects(), options.log);
  }

  /** Current state for /status and readiness. */
  status(): ModuleStatus {
    return {
      enabled: this.#lifecycle.enabled,
      converged: this.#configSeen && this.#lifecycle.settled && this.#queue.length === 0,
      settingsErrors: this.#settingsErrors,
      lastError: this.#queue.lastError,
      hookRuns: this.#hookRuns,
      releaseChecksum: this.#checksum,
    };
  }

  /** Discovers the hooks and starts following the operator ConfigMap. */
  async start(): Promise<void> {
    const exe = this.#o.hooksExecutable;
    const { stdout: list } = await run(exe, ["hook", "list"], { timeout: 60_000 });
    if (!/Found [1-9]\d* items/.test(list)) throw new Error(`${exe} hook list: ${list.trim()}`);
    const { stdout } = await run(exe, ["hook", "config"], { timeout: 60_000, maxBuffer: 16 << 20 });
    this.#hooks = parseBatchConfig(stdout);
    for (const h of this.#hooks)
      this.#buckets.set(h.index, new TokenBucket(h.minIntervalMs, h.burst));
    this.#o.log.info("hooks discovered", { hooks: this.#hooks.map(h => h.name) });
    const { namespace, name } = this.#o.configMap;
    this.#configReflector = new Reflector<unknown>({
      name: "operator-configmap",
      rest: this.#o.rest,
      resource: "configmaps",
      path: `/api/v1/namespaces/${namespace}/configmaps`,
      fieldSelector: `metadata.name=${name}`,
      transform: raw => raw,
      relistIntervalMs: 5 * 60_000,
      log: this.#o.log,
    });
    this.#configReflector.on(event =>
      this.#onConfig(
        event.type === "delete" ? undefined : (event.object as { data?: Record<string, string> }),
      ),
    );
    this.#configReflector.start();
  }

  /** Stops everything (the release stays installed, as when addon-operator restarts). */
  async stop(): Promise<void> {
    await this.#configReflector?.stop();
    await this.#stopMonitors();
    this.#queue.stop();
  }

  /** What the lifecycle does through this operator (see module-lifecycle.ts). */
  #effects(): ModuleEffects {
    return {
      lifecycleHooks: binding => lifecycleOrder(this.#hooks, binding).map(h => h.name),
      runLifecycleHook: (name, binding) => this.#runLifecycleHook(name, binding),
      release: reason => this.#release(reason),
      uninstall: () => this.#uninstall(),
      startMonitors: () => this.#startMonitors(),
      stopMonitors: () => this.#stopMonitors(),
    };
  }

  #onConfig(cm: { data?: Record<string, string> } | undefined): void {
    this.#configSeen = true;
    const data = cm?.data ?? {};
    const enabled = data[`${this.#camel}Enabled`] === "true";
    let settings: Record<string, unknown>;
    try {
      settings = (parse(data[this.#camel] ?? "{}") as Record<string, unknown> | null) ?? {};
    } catch (err) {
      this.#settingsErrors = [`settings are not YAML: ${describeError(err)}`];
      this.#o.log.error("module settings rejected", { errors: this.#settingsErrors });
      return;
    }
    this.#apply(enabled, settings);
  }

  /** Takes new settings and the enable flag; never waits for a queued task. */
  #apply(enabled: boolean, settings: Record<string, unknown>): void {
    const key = JSON.stringify(settings);
    const settingsChanged = key !== this.#settingsKey;
    if (settingsChanged && !this.#acceptSettings(settings)) return;
    this.#settingsKey = key;
    if (enabled && !this.#lifecycle.enabled) {
      this.#o.log.info("module enabled: queueing onStartup hooks", { module: this.#o.moduleName });
      this.#lifecycle.enable("module enabled");
    } else if (!enabled && this.#lifecycle.enabled) {
      this.#o.log.info("module disabled: stopping hooks and uninstalling the release");
      this.#lifecycle.disable();
    } else if (enabled && settingsChanged) this.#lifecycle.rerun("settings changed");
  }

  /** Validates new settings; keeps the previous ones (and says why) when they are invalid. */
  #acceptSettings(settings: Record<string, unknown>): boolean {
    const config = structuredClone(settings);
    const errors = this.#schemas.validateSettings(config);
    const values = { ...config, internal: this.#moduleValues.internal ?? {} };
    if (errors.length === 0) errors.push(...this.#schemas.validateValues(values));
    this.#settingsErrors = errors;
    if (errors.length > 0) {
      this.#o.log.error("module settings rejected; keeping the previous ones", { errors });
      return false;
    }
    this.#configValues = settings;
    this.#moduleValues = values;
    return true;
  }

  /** (Re)starts every kubernetes binding and the schedules (a retried start begins afresh). */
  async #startMonitors(): Promise<void> {
    await this.#stopMonitors();
    for (const hook of this.#hooks.filter(h => h.bindings.length > 0))
      await this.#startBindings(hook);
    this.#startSchedules();
  }

  async #startBindings(hook: HookSpec): Promise<void> {
    const watches = hook.bindings.map(
      spec =>
        new BindingWatch({
          spec,
          rest: this.#o.rest,
          discovery: this.#o.discovery,
          log: this.#o.log.child({ hook: hook.name }),
          jqPath: this.#o.jq,
          onChange: binding => this.#triggerHook(hook, binding),
        }),
    );
    this.#watches.set(hook.index, watches);
    await Promise.all(watches.map(w => w.start(120_000)));
    const sync = hook.bindings.find(b => b.executeOnSynchronization);
    if (sync) this.#triggerHook(hook, sync.name);
  }

  #triggerHook(hook: HookSpec, binding: string): void {
    this.#trigger.set(hook.index, binding);
    this.#lifecycle
      .hookTask(`kubernetes/${hook.name}`, () => this.#runGroupTask(hook))
      .catch(() => undefined);
  }

  #snapshots(hook: HookSpec): Record<string, unknown[]> {
    const out: Record<string, unknown[]> = {};
    for (const w of this.#watches.get(hook.index) ?? []) out[w.name] = w.snapshot();
    return out;
  }

  #runGroupTask(hook: HookSpec): Promise<void> {
    const binding = this.#trigger.get(hook.index) ?? "main";
    const context = { binding, type: "Group", groupName: "main", snapshots: this.#snapshots(hook) };
    return this.#runHookTask(hook, [context]);
  }

  #startSchedules(): void {
    this.#schedules = this.#hooks.flatMap(hook =>
      hook.schedules.map(s => ({ hook, name: s.name, schedule: parseCrontab(s.crontab) })),
    );
    if (this.#schedules.length === 0) return;
    const tick = (): void => {
      const now = Math.floor(Date.now() / 1000) * 1000;
      for (const entry of this.#schedules) {
        if (entry.schedule.matches(now)) this.#triggerHook(entry.hook, entry.name);
      }
      this.#ticker = setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
    };
    this.#ticker = setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
  }

  /** Runs a hook for a lifecycle binding (before/afterHelm see every snapshot of the hook). */
  #runLifecycleHook(name: string, binding: LifecycleBinding): Promise<void> {
    const hook = this.#hooks.find(h => h.name === name);
    if (!hook) return Promise.reject(new Error(`no hook named ${name}`));
    const withSnapshots = binding === "beforeHelm" || binding === "afterHelm";
    const context = withSnapshots ? { binding, snapshots: this.#snapshots(hook) } : { binding };
    return this.#runHookTask(hook, [context]);
  }

  #values(): Record<string, unknown> {
    const global = { ...this.#o.globalValues, enabledModules: [this.#o.moduleName] };
    return { global, [this.#camel]: this.#moduleValues };
  }

  async #release(reason: string): Promise<void> {
    const { objects, checksum } = await renderChart({
      helm: this.#o.helm,
      chartDir: this.#o.moduleDir,
      release: this.#o.moduleName,
      namespace: this.#o.moduleNamespace,
      values: this.#values(),
      tmpDir: this.#o.tmpDir,
    });
    const applied = await applyRelease({
      rest: this.#o.rest,
      discovery: this.#o.discovery,
      store: this.#releaseStore(),
      namespace: this.#o.moduleNamespace,
      objects,
      checksum,
    });
    this.#checksum = checksum;
    this.#o.metrics.count("addon_operator_helm_runs_total", {
      module: this.#o.moduleName,
      applied: String(applied),
    });
    this.#o.log.info(applied ? "release applied" : "release unchanged", {
      reason,
      objects: objects.length,
      checksum: checksum.slice(0, 12),
    });
  }

  #releaseStore(): { namespace: string; name: string } {
    return { namespace: this.#o.configMap.namespace, name: `release.${this.#o.moduleName}` };
  }

  async #runHookTask(hook: HookSpec, bindingContext: readonly unknown[]): Promise<void> {
    const wait = this.#buckets.get(hook.index)?.take() ?? 0;
    if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait));
    const log = this.#o.log.child({ hook: hook.name });
    const started = Date.now();
    this.#hookRuns += 1;
    try {
      const out = await runHook({
        executable: this.#o.hooksExecutable,
        index: hook.index,
        hookName: hook.name,
        bindingContext,
        values: this.#values(),
        configValues: { global: {}, [this.#camel]: this.#configValues },
        tmpDir: this.#o.tmpDir,
        env: { MODULE_NAME: this.#o.moduleName },
        onOutput: line => log.debug("hook output", { line }),
        timeoutMs: 120_000,
      });
      this.#applyValuesPatch(out.valuesPatch);
      if (out.configValuesPatch.length > 0) {
        log.warn("config values patches are not persisted by this stand-in", {
          ops: out.configValuesPatch.length,
        });
      }
      await applyOperations(
        { rest: this.#o.rest, discovery: this.#o.discovery, log, jqPath: this.#o.jq },
        out.operations,
      );
      this.#o.metrics.applyHookMetrics(hook.name, out.metrics);
      this.#o.metrics.count("addon_operator_hook_runs_total", { hook: hook.name, result: "ok" });
      log.debug("hook ran", { ms: Date.now() - started, operations: out.operations.length });
    } catch (err) {
      this.#o.metrics.count("addon_operator_hook_runs_total", { hook: hook.name, result: "error" });
      if (hook.allowFailure) {
        log.warn("hook failed (allowFailure)", { error: describeError(err) });
        return;
      }
      throw err;
    }
  }

  #applyValuesPatch(ops: readonly { op: string; path: string; value?: unknown }[]): void {
    if (ops.length === 0) return;
    for (const op of ops) {
      if (!op.path.startsWith(`/${this.#camel}/`) && op.path !== `/${this.#camel}`) {
        throw new Error(`values patch path ${op.path} is outside /${this.#camel}`);
      }
    }
    const next = applyValuesPatch({ [this.#camel]: this.#moduleValues }, ops)[
      this.#camel
    ] as Record<string, unknown>;
    const errors = this.#schemas.validateValues(next);
    if (errors.length > 0)
      throw new Error(`values after the hook's patch are invalid: ${errors.join("; ")}`);
    const changed = JSON.stringify(next) !== JSON.stringify(this.#moduleValues);
    this.#moduleValues = next;
    if (changed) this.#lifecycle.rerun("values changed by a hook");
  }

  async #stopMonitors(): Promise<void> {
    if (this.#ticker) clearTimeout(this.#ticker);
    this.#ticker = undefined;
    this.#schedules = [];
    const watches = [...this.#watches.values()].flat();
    this.#watches.clear();
    await Promise.all(watches.map(w => w.stop()));
  }

  async #uninstall(): Promise<void> {
    const removed = await uninstallRelease(this.#o.rest, this.#o.discovery, this.#releaseStore());
    this.#checksum = undefined;
    this.#o.log.info("release uninstalled", { objects: removed });
  }
}
