// The decisions of the agent DaemonSet's rollout stand-in, as pure functions: no kubelet or
// DaemonSet controller runs in the box, so the harness plays both for the module's `agent`
// DaemonSet (daemonset-controller.ts). Here: what identifies a pod template (a hash of
// `spec.template`, like the controller-revision-hash label), how many agents may be down at once
// (`updateStrategy`, rounded as the DaemonSet controller rounds), which nodes want an agent
// (`nodeSelector`), which agents to start, stop or replace next (the controller's rollingUpdate
// rules), the status it reports, and the check `kubectl rollout status daemonset` makes.
import { createHash } from "node:crypto";

/** The parts of an apps/v1 DaemonSet the stand-in reads and writes. */
export interface DaemonSetJson {
  readonly metadata?: { readonly generation?: number; readonly name?: string };
  readonly spec?: {
    readonly updateStrategy?: {
      readonly type?: string;
      readonly rollingUpdate?: {
        readonly maxUnavailable?: number | string;
        readonly maxSurge?: number | string;
      };
    };
    readonly template?: {
      readonly spec?: {
        readonly nodeSelector?: Readonly<Record<string, string>>;
        readonly terminationGracePeriodSeconds?: number;
        readonly containers?: readonly { readonly name: string; readonly args?: string[] }[];
      };
    };
  };
  readonly status?: DaemonSetStatus;
}

/** apps/v1 DaemonSetStatus, the fields the DaemonSet controller maintains. */
export interface DaemonSetStatus {
  readonly observedGeneration?: number;
  readonly desiredNumberScheduled?: number;
  readonly currentNumberScheduled?: number;
  readonly updatedNumberScheduled?: number;
  readonly numberMisscheduled?: number;
  readonly numberReady?: number;
  readonly numberAvailable?: number;
  readonly numberUnavailable?: number;
}

/** What a DaemonSet asks for, reduced to what the stand-in acts on. */
export interface DaemonSetView {
  readonly generation: number;
  /** Hash of `spec.template`: agents started from another template are out of date. */
  readonly templateHash: string;
  /** The agent container's arguments. */
  readonly args: readonly string[];
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** `RollingUpdate` replaces agents by itself; `OnDelete` only when they are deleted. */
  readonly strategy: "RollingUpdate" | "OnDelete";
  /** `rollingUpdate.maxUnavailable` as written (default 1). */
  readonly maxUnavailable: number | string;
  /** How long a stopped agent gets between SIGTERM and SIGKILL (ms). */
  readonly terminationGraceMs: number;
}

/** The name of the agent container in the chart's DaemonSet. */
export const AGENT_CONTAINER = "agent";

/** JSON with object keys sorted, so equal objects serialise equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** A short stable hash of a pod template (10 hex digits of SHA-256 over its canonical JSON). */
export function templateHash(template: unknown): string {
  return createHash("sha256")
    .update(canonicalJson(template ?? {}))
    .digest("hex")
    .slice(0, 10);
}

/** Reduces a DaemonSet to what the stand-in acts on. */
export function daemonSetView(ds: DaemonSetJson): DaemonSetView {
  const spec = ds.spec ?? {};
  const podSpec = spec.template?.spec ?? {};
  const agent = podSpec.containers?.find(c => c.name === AGENT_CONTAINER);
  return {
    generation: ds.metadata?.generation ?? 0,
    templateHash: templateHash(spec.template),
    args: [...(agent?.args ?? [])],
    nodeSelector: { ...(podSpec.nodeSelector ?? {}) },
    strategy: spec.updateStrategy?.type === "OnDelete" ? "OnDelete" : "RollingUpdate",
    maxUnavailable: spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1,
    terminationGraceMs: (podSpec.terminationGracePeriodSeconds ?? 30) * 1000,
  };
}

/**
 * How many agents may be unavailable at once: an integer as written, a percentage of the
 * desired agents rounded up (the DaemonSet controller rounds maxUnavailable up), and at least 1
 * (with maxSurge 0 the controller never lets both be 0). Throws on a malformed value, as the
 * API server would have refused it.
 */
export function resolveMaxUnavailable(value: number | string, desired: number): number {
  let n: number;
  if (typeof value === "number") n = value;
  else {
    const percent = /^(\d+)%$/.exec(value.trim());
    if (!percent) throw new Error(`maxUnavailable ${JSON.stringify(value)} is not an int or a %`);
    n = Math.ceil((desired * Number(percent[1])) / 100);
  }
  if (!Number.isInteger(n) || n < 0) throw new Error(`maxUnavailable ${String(value)} is invalid`);
  return Math.max(1, n);
}

/** True when a node's labels satisfy a pod nodeSelector (every key present with that value). */
export function nodeMatches(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** One node's agent as the stand-in sees it. */
export interface AgentView {
  readonly node: string;
  /** The template it was started from (undefined: recorded by an older harness). */
  readonly templateHash: string | undefined;
  /** Its process runs. */
  readonly alive: boolean;
  /** Its /readyz answers 200. */
  readonly ready: boolean;
}

/** What to do next. Every list is sorted by node name. */
export interface RolloutStep {
  /** Desired nodes without an agent: start one (never limited, like new DaemonSet pods). */
  readonly create: readonly string[];
  /** Agents on nodes that no longer want one: stop them and forget them. */
  readonly remove: readonly string[];
  /** Out-of-date agents to stop and start again from the current template. */
  readonly replace: readonly string[];
}

/** Input of planRollout. */
export interface RolloutInput {
  readonly view: Pick<DaemonSetView, "templateHash" | "strategy" | "maxUnavailable">;
  /** Nodes that want an agent. */
  readonly desired: readonly string[];
  /** Every recorded agent (on any node). */
  readonly agents: readonly AgentView[];
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The next step of the DaemonSet controller's rolling update, adapted to processes. As in
 * Kubernetes: missing agents count as unavailable, so do up-to-date agents that are not ready;
 * an out-of-date agent that runs but is not ready is replaced at once (it serves nothing); ready
 * out-of-date agents are replaced only while fewer than maxUnavailable agents are unavailable.
 * Unlike Kubernetes, an agent whose process is dead is left alone and counted unavailable: in
 * the box that stands for a node that is down, where no new pod could start either, so a dead
 * node holds the rollout back exactly as it does in a cluster with maxUnavailable 1.
 */
export function planRollout(input: RolloutInput): RolloutStep {
  const desired = new Set(input.desired);
  const agents = new Map(input.agents.map(a => [a.node, a]));
  const remove = input.agents.filter(a => !desired.has(a.node)).map(a => a.node);
  const create = input.desired.filter(n => !agents.has(n));
  let unavailable = 0;
  const free: string[] = [];
  const candidates: string[] = [];
  for (const node of input.desired) {
    const a = agents.get(node);
    if (!a || !a.alive) unavailable++;
    else if (a.templateHash === input.view.templateHash) unavailable += a.ready ? 0 : 1;
    else (a.ready ? candidates : free).push(node);
  }
  if (input.view.strategy === "OnDelete") {
    return { create: create.sort(byName), remove: remove.sort(byName), replace: [] };
  }
  const max = resolveMaxUnavailable(input.view.maxUnavailable, input.desired.length);
  const budget = Math.min(Math.max(0, max - unavailable), candidates.length);
  const replace = [...free.sort(byName), ...candidates.sort(byName).slice(0, budget)];
  return { create: create.sort(byName), remove: remove.sort(byName), replace };
}

/** True when a step does nothing. */
export function isEmptyStep(step: RolloutStep): boolean {
  return step.create.length + step.remove.length + step.replace.length === 0;
}

/** The status the DaemonSet controller would report for these agents. */
export function daemonSetStatus(input: {
  readonly view: Pick<DaemonSetView, "generation" | "templateHash">;
  readonly desired: readonly string[];
  readonly agents: readonly AgentView[];
}): Required<DaemonSetStatus> {
  const desired = new Set(input.desired);
  const scheduled = input.agents.filter(a => desired.has(a.node));
  const ready = scheduled.filter(a => a.alive && a.ready).length;
  return {
    observedGeneration: input.view.generation,
    desiredNumberScheduled: desired.size,
    currentNumberScheduled: scheduled.length,
    updatedNumberScheduled: scheduled.filter(a => a.templateHash === input.view.templateHash)
      .length,
    numberMisscheduled: input.agents.filter(a => !desired.has(a.node) && a.alive).length,
    numberReady: ready,
    numberAvailable: ready,
    numberUnavailable: desired.size - ready,
  };
}

/** True when `status` already says what `next` says (so no write is needed). */
export function sameStatus(
  status: DaemonSetStatus | undefined,
  next: Required<DaemonSetStatus>,
): boolean {
  return (Object.keys(next) as (keyof DaemonSetStatus)[]).every(
    k => (status?.[k] ?? 0) === next[k],
  );
}

/**
 * `kubectl rollout status daemonset` for a DaemonSet: done when the controller observed the
 * current generation and every desired pod is updated and available; otherwise the message
 * kubectl prints while it waits.
 */
export function rolloutStatus(ds: DaemonSetJson): {
  readonly done: boolean;
  readonly message: string;
} {
  const name = ds.metadata?.name ?? "";
  if (ds.spec?.updateStrategy?.type === "OnDelete") {
    return { done: true, message: "rollout status is only available for RollingUpdate" };
  }
  const s = ds.status ?? {};
  if ((ds.metadata?.generation ?? 0) > (s.observedGeneration ?? 0)) {
    return { done: false, message: "Waiting for daemon set spec update to be observed..." };
  }
  const desired = s.desiredNumberScheduled ?? 0;
  const updated = s.updatedNumberScheduled ?? 0;
  const available = s.numberAvailable ?? 0;
  if (updated < desired) {
    return {
      done: false,
      message: `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...`,
    };
  }
  if (available < desired) {
    return {
      done: false,
      message: `Waiting for daemon set "${name}" rollout to finish: ${available} of ${desired} updated pods are available...`,
    };
  }
  return { done: true, message: `daemon set "${name}" successfully rolled out` };
}
