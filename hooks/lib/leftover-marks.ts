// Step one of removing kube-controller-manager's leftovers (hooks/lib/controller-leftovers.ts
// says what they are): the child-service hook marks them for the SWH whose selector-less child
// they still feed. A mark is a merge patch of two metadata keys; nothing else of the object
// changes, and the controllers that made the objects no longer reconcile them (the Service has
// no selector), except the mirroring controller, whose mirror is reached through its Endpoints.
// The GC hook deletes what is marked once the agents have taken over (hooks/endpointslice-gc/leftover-handover.ts).

import type { MergePatchOperation } from "shell-operator-ts-hooks";
import {
  ANNOTATION_REPLACED_AT,
  ANNOTATION_REPLACED_GRACE,
  LABEL_REPLACED_BY,
} from "../../api/contract.js";
import { HEALTHCHECK_DEFAULTS, type Healthcheck } from "../../api/v1alpha1.js";
import { compareText, groupBy } from "./collections.js";
import {
  ENDPOINT_SLICE_API_VERSION,
  type ControllerSliceSnapshot,
} from "./controller-leftovers.js";
import { objectKey, type DeepReadonly } from "./swh.js";

/** A child Service that is ours and has no selector, with the uid of its SWH. */
export interface SelectorlessChild {
  readonly namespace: string;
  readonly name: string;
  /** The SWH's uid: the mark's value. */
  readonly uid: string;
  /** How long the leftovers may serve after the mark (leftoverGraceSeconds of the SWH). */
  readonly graceSeconds: number;
}

/** The shortest grace: the same as the Go slices' hand-over. */
export const MIN_LEFTOVER_GRACE_SECONDS = 120;

/**
 * How long after the mark leftovers go even when the agents do not publish the same ready
 * endpoints: twice the time a new endpoint takes to pass its slowest probe
 * (initialDelaySeconds + periodSeconds x successThreshold + timeoutSeconds), 2 minutes at
 * least. With default settings an endpoint settles within about 20 s, so 2 minutes; an SWH that
 * probes every minute gets long enough for its agents to decide before its old endpoints go.
 */
export function leftoverGraceSeconds(healthcheck: DeepReadonly<Healthcheck> | undefined): number {
  const d = HEALTHCHECK_DEFAULTS;
  const delay = healthcheck?.initialDelaySeconds ?? d.initialDelaySeconds;
  const period = healthcheck?.periodSeconds ?? d.periodSeconds;
  const slowest = Math.max(
    0,
    ...(healthcheck?.probes ?? []).map(
      p =>
        period * (p.successThreshold ?? d.successThreshold) +
        (p.timeoutSeconds ?? d.timeoutSeconds),
    ),
  );
  return Math.max(MIN_LEFTOVER_GRACE_SECONDS, Math.ceil(2 * (delay + slowest)));
}

/** The mark: the SWH's uid, the time (RFC 3339, whole seconds) and the grace. */
export function leftoverMark(uid: string, now: Date, graceSeconds: number): object {
  return {
    metadata: {
      labels: { [LABEL_REPLACED_BY]: uid },
      annotations: {
        [ANNOTATION_REPLACED_AT]: now.toISOString().replace(/\.\d{3}Z$/, "Z"),
        [ANNOTATION_REPLACED_GRACE]: String(graceSeconds),
      },
    },
  };
}

function markOperation(
  target: { apiVersion: string; kind: string; namespace: string; name: string },
  mark: object,
): MergePatchOperation {
  return { operation: "MergePatch", ...target, mergePatch: mark, ignoreMissingObject: true };
}

/** The marks one child needs: its Endpoints (seen through a mirror), then its slices by name. */
function childMarks(
  child: SelectorlessChild,
  slices: readonly ControllerSliceSnapshot[],
  now: Date,
): MergePatchOperation[] {
  const unmarked = slices.filter(s => s.replacedBy !== child.uid);
  if (unmarked.length === 0) return [];
  const mark = leftoverMark(child.uid, now, child.graceSeconds);
  const out: MergePatchOperation[] = [];
  const { namespace } = child;
  if (unmarked.some(s => s.mirror)) {
    out.push(
      markOperation({ apiVersion: "v1", kind: "Endpoints", namespace, name: child.name }, mark),
    );
  }
  const names = unmarked
    .filter(s => !s.mirror)
    .map(s => s.name)
    .sort(compareText);
  for (const name of names) {
    const target = {
      apiVersion: ENDPOINT_SLICE_API_VERSION,
      kind: "EndpointSlice",
      namespace,
      name,
    };
    out.push(markOperation(target, mark));
  }
  return out;
}

/**
 * The marks that hand kube-controller-manager's leftovers of `children` to the GC hook: per
 * child, in the children's order, its Endpoints object when an unmarked mirror shows the
 * controller made it, then its unmarked slices by name. A mark with another uid (an earlier SWH
 * of the same name) is replaced. Slices of any other Service are never touched. Linear in
 * children plus slices; empty once everything is marked, so a steady state writes nothing.
 */
export function planLeftoverMarks(
  children: readonly SelectorlessChild[],
  slices: readonly ControllerSliceSnapshot[],
  now: Date,
): MergePatchOperation[] {
  const byService = groupBy(slices, s => objectKey(s.namespace, s.serviceName));
  const operations: MergePatchOperation[] = [];
  for (const child of children) {
    const leftovers = byService.get(objectKey(child.namespace, child.name));
    if (leftovers !== undefined) operations.push(...childMarks(child, leftovers, now));
  }
  return operations;
}
