// What the real addon-operator says about itself, read where an administrator reads it: /healthz
// and /readyz (startup converge done), its debug API (`addon-operator queue list` and `module
// list`: the main queue's task descriptions, with `failures N:<error>` on a failing head task) and
// /metrics (hook runs). The pure parts decide "failing" and "converged" from those answers.
import { sumMetric } from "../prom-text.js";
import type { OperatorRecord } from "../state.js";
import { operatorDebugGet, operatorGet } from "./operator.js";

/** One look at the operator. */
export interface OperatorView {
  /** /healthz answered 200. */
  readonly healthy: boolean;
  /** /readyz answered 200: the startup converge is done. */
  readonly startupConverged: boolean;
  /** Modules the operator has enabled. */
  readonly enabledModules: readonly string[];
  /** The main queue's task descriptions, head first. */
  readonly mainQueue: readonly string[];
  /** The error of the head task of the main queue while it fails and is retried. */
  readonly lastError: string | undefined;
  /** Hook runs so far (addon_operator_module_hook_run_seconds_count, every hook). */
  readonly hookRuns: number;
}

interface QueueDump {
  readonly active?: readonly {
    readonly name?: string;
    readonly tasks?: readonly { readonly description?: string }[];
  }[];
}

/** The main queue's task descriptions from `/queue/list.json`. */
export function mainQueueOf(dump: QueueDump): string[] {
  const main = (dump.active ?? []).find(q => q.name === "main");
  return (main?.tasks ?? []).map(t => t.description ?? "");
}

/** The error of a failing head task (`<task>:failures N:<error>`), else undefined. */
export function headFailure(mainQueue: readonly string[]): string | undefined {
  const head = mainQueue[0];
  const match = head ? /:failures \d+:([\s\S]*)$/.exec(head) : null;
  return match?.[1]?.trim();
}

/** The head task's kind and module (`ModuleRun`, `service-with-healthchecks`). */
function taskOf(description: string): { kind: string; module: string } {
  const [kind = "", , module = ""] = description.split(":");
  return { kind, module };
}

/**
 * True once `module` is enabled, the startup converge is done and nothing of the module's own
 * (a ModuleRun, its CRDs, a purge) is queued or failing; scheduled hook runs do not count.
 */
export function moduleConverged(view: OperatorView, module: string): boolean {
  const pendingRun = view.mainQueue.some(d => {
    const task = taskOf(d);
    return task.module === module && task.kind !== "ModuleHookRun";
  });
  return (
    view.startupConverged &&
    view.enabledModules.includes(module) &&
    !pendingRun &&
    view.lastError === undefined
  );
}

/** Looks at the operator; throws when it does not answer. */
export async function operatorView(record: OperatorRecord): Promise<OperatorView> {
  const [healthz, readyz, queue, modules, metrics] = await Promise.all([
    operatorGet(record, "/healthz"),
    operatorGet(record, "/readyz"),
    operatorDebugGet(record, "/queue/list.json"),
    operatorDebugGet(record, "/module/list.json"),
    operatorGet(record, "/metrics"),
  ]);
  const mainQueue = mainQueueOf(JSON.parse(queue.body) as QueueDump);
  const enabled = (JSON.parse(modules.body) as { enabledModules?: string[] }).enabledModules;
  return {
    healthy: healthz.status === 200,
    startupConverged: readyz.status === 200,
    enabledModules: enabled ?? [],
    mainQueue,
    lastError: headFailure(mainQueue),
    hookRuns: sumMetric(metrics.body, "addon_operator_module_hook_run_seconds_count"),
  };
}
