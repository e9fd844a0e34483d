// Counting API requests at the API server: the box's audit log (JSON lines, one event per
// request at ResponseComplete, see tests/testenv/components.ts) is read for a time window and
// grouped by who made the request (component), verb and resource. This is the write-amplification
// evidence: what the server received, not what a client believes it sent.

import { open } from "node:fs/promises";

/** The audit event fields the benchmark reads. */
export interface AuditEvent {
  readonly verb: string;
  readonly stage?: string;
  readonly user?: { readonly username?: string };
  readonly userAgent?: string;
  readonly objectRef?: {
    readonly resource?: string;
    readonly subresource?: string;
    readonly apiGroup?: string;
    readonly namespace?: string;
    readonly name?: string;
  };
  readonly responseStatus?: { readonly code?: number };
  readonly requestReceivedTimestamp?: string;
  readonly stageTimestamp?: string;
}

/** One row of a request count. */
export interface RequestCount {
  readonly component: string;
  readonly verb: string;
  /** `resource` or `resource/subresource`. */
  readonly resource: string;
  readonly count: number;
}

/** Verbs that change state. */
export const WRITE_VERBS: ReadonlySet<string> = new Set([
  "create",
  "update",
  "patch",
  "delete",
  "deletecollection",
]);

/** Which part of the system made a request, from its user and user agent. */
export function componentOf(event: AuditEvent): string {
  const user = event.user?.username ?? "";
  const agent = event.userAgent ?? "";
  if (user.endsWith(":d8-service-with-healthchecks:agent")) {
    const node = /^swh-agent\/([^\s]+)/.exec(agent)?.[1];
    return node === undefined ? "agent" : `agent ${node}`;
  }
  if (user === "system:serviceaccount:d8-system:deckhouse") return "operator (hooks, helm)";
  if (
    user === "system:kube-controller-manager" ||
    user.startsWith("system:serviceaccount:kube-system:")
  ) {
    return "kube-controller-manager";
  }
  if (user.startsWith("system:apiserver") || user === "system:kube-apiserver")
    return "kube-apiserver";
  if (agent.startsWith("swh-cluster-harness") || agent.startsWith("swh-bench"))
    return "benchmark harness";
  return user === "" ? "unknown" : user;
}

function resourceOf(event: AuditEvent): string {
  const ref = event.objectRef;
  if (ref?.resource === undefined) return "(non-resource)";
  return ref.subresource === undefined ? ref.resource : `${ref.resource}/${ref.subresource}`;
}

/** Whether the event's request was received within [fromMs, toMs). */
function inWindow(event: AuditEvent, fromMs: number, toMs: number): boolean {
  const stamp = Date.parse(event.requestReceivedTimestamp ?? event.stageTimestamp ?? "");
  return Number.isFinite(stamp) && stamp >= fromMs && stamp < toMs;
}

/**
 * Counts the ResponseComplete events of `lines` received in [fromMs, toMs), by component, verb
 * and resource, most frequent first. Unparsable lines are skipped.
 */
export function countRequests(
  lines: readonly string[],
  fromMs: number,
  toMs: number,
): RequestCount[] {
  const counts = new Map<string, RequestCount>();
  for (const line of lines) {
    let event: AuditEvent;
    try {
      event = JSON.parse(line) as AuditEvent;
    } catch {
      continue;
    }
    if (event.stage !== undefined && event.stage !== "ResponseComplete") continue;
    if (!inWindow(event, fromMs, toMs)) continue;
    const row = { component: componentOf(event), verb: event.verb, resource: resourceOf(event) };
    const key = `${row.component}\n${row.verb}\n${row.resource}`;
    const count = (counts.get(key)?.count ?? 0) + 1;
    counts.set(key, { ...row, count });
  }
  return [...counts.values()].sort(
    (a, b) => b.count - a.count || a.component.localeCompare(b.component),
  );
}

/** Sum of the write requests in `rows`, optionally only for resources in `resources`. */
export function writes(rows: readonly RequestCount[], resources?: readonly string[]): number {
  return rows
    .filter(
      r => WRITE_VERBS.has(r.verb) && (resources === undefined || resources.includes(r.resource)),
    )
    .reduce((sum, r) => sum + r.count, 0);
}

/** Size of the audit log now (a window's reading starts from there). */
export async function auditOffset(path: string): Promise<number> {
  const handle = await open(path, "r");
  try {
    return (await handle.stat()).size;
  } finally {
    await handle.close();
  }
}

/** The complete lines of the audit log from byte `offset` on. */
export async function readAuditLines(path: string, offset: number): Promise<string[]> {
  const handle = await open(path, "r");
  try {
    const size = (await handle.stat()).size;
    const buffer = Buffer.alloc(Math.max(0, size - offset));
    await handle.read(buffer, 0, buffer.length, offset);
    const text = buffer.toString("utf8");
    return text
      .slice(0, text.lastIndexOf("\n") + 1)
      .split("\n")
      .filter(l => l !== "");
  } finally {
    await handle.close();
  }
}
