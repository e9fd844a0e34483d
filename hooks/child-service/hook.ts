// Child Service hook: every ServiceWithHealthchecks gets a Service of the same name and
// namespace with no selector (so only the agent's EndpointSlices feed it), the SWH's Service
// fields, its labels and annotations, and a controller owner reference to the SWH (so the
// Kubernetes garbage collector deletes it with the SWH). The hook writes only when the child
// differs from what it should be.
//
// Writes: a new child is created with CreateIfNotExists, so a run that races our own earlier
// create (the Service informer has not caught up yet) is a no-op instead of a failed run that
// would block the operator's queue. An existing child gets a MergePatch holding exactly the
// fields that differ, with `null` for removals: CreateOrUpdate would send the whole object,
// could not remove a label or the selector without explicit nulls anyway, and would rewrite
// fields other controllers own on the Service (cloud LB annotations, allocated values). The
// patch sets `ignoreMissingObject` so a child deleted between snapshot and write does not fail
// the run; the next run recreates it.
//
// Nothing is written in a namespace being deleted (hooks/lib/namespaces.ts): the namespace
// controller deletes the child there, and recreating it would be refused (403) and fail the run.
// An SWH being deleted gets nothing either: the garbage collector removes its child.
//
// For a child that is ours and has no selector, what kube-controller-manager published while it
// had one (an adopted Service; a child someone gave a selector) is marked for the GC hook, which
// deletes it once the agents serve instead: hooks/lib/controller-leftovers.ts says which objects
// and why, hooks/lib/leftover-marks.ts how they are marked.

import { defineHook, type HookInput, type MergePatchOperation } from "shell-operator-ts-hooks";
import { SWH_API_VERSION, SWH_KIND } from "../../api/contract.js";
import { filterService, SERVICE_SPEC_JQ_FILTER } from "../lib/child-service-state.js";
import {
  controllerSlicesBinding,
  CONTROLLER_SLICES_BINDING,
  mirroredSlicesBinding,
  MIRRORED_SLICES_BINDING,
} from "../lib/controller-leftovers.js";
import { namespacesBinding, NAMESPACES_BINDING } from "../lib/namespaces.js";
import { filterSwh, SWH_SPEC_JQ_FILTER } from "../lib/swh.js";
import { planChildServices, type ChildServicePlan } from "./plan.js";

/** Binding names of this hook. */
export const SWH_BINDING = "swh";
export const SERVICES_BINDING = "services";

const bindings = {
  [SWH_BINDING]: {
    name: SWH_BINDING,
    apiVersion: SWH_API_VERSION,
    kind: SWH_KIND,
    jqFilter: SWH_SPEC_JQ_FILTER,
    filter: filterSwh,
  },
  [SERVICES_BINDING]: {
    name: SERVICES_BINDING,
    apiVersion: "v1",
    kind: "Service",
    jqFilter: SERVICE_SPEC_JQ_FILTER,
    filter: filterService,
  },
  [NAMESPACES_BINDING]: namespacesBinding(),
  [CONTROLLER_SLICES_BINDING]: controllerSlicesBinding(),
  [MIRRORED_SLICES_BINDING]: mirroredSlicesBinding(),
};

/** At most this many object names in one log line; counts are always exact. */
const LOGGED_NAMES = 10;

function logPlan(plan: ChildServicePlan, logger: HookInput["logger"]): void {
  for (const skipped of plan.invalid) {
    logger.warn("child Service not written: the API server would reject it", {
      swh: skipped.key,
      reason: skipped.reason,
    });
  }
  if (plan.terminating.length > 0) {
    logger.debug("child Services not written: their namespace is being deleted", {
      count: plan.terminating.length,
      swhs: plan.terminating.slice(0, LOGGED_NAMES),
    });
  }
  const marks = plan.operations.filter(
    (op): op is MergePatchOperation => op.operation === "MergePatch" && op.kind !== "Service",
  );
  if (marks.length > 0) {
    logger.info("marking what kube-controller-manager left for selector-less children", {
      count: marks.length,
      objects: marks.slice(0, LOGGED_NAMES).map(m => `${m.kind} ${m.namespace}/${m.name}`),
    });
  }
  const writes = plan.operations.length - marks.length;
  if (writes > 0) logger.info("child Services to write", { operations: writes });
}

/** Runs the plan on the input's snapshots and logs what it did. */
function handle(input: HookInput<typeof bindings>): void {
  const { snapshots } = input;
  const plan = planChildServices(
    {
      swhs: snapshots[SWH_BINDING],
      services: snapshots[SERVICES_BINDING],
      terminatingNamespaces: snapshots[NAMESPACES_BINDING],
      controllerSlices: [
        ...snapshots[CONTROLLER_SLICES_BINDING],
        ...snapshots[MIRRORED_SLICES_BINDING],
      ],
    },
    input.now,
  );
  input.patches.add(...plan.operations);
  logPlan(plan, input.logger);
}

/**
 * The child-service hook: SWHs, Services, terminating namespaces and kube-controller-manager's
 * slices in; child Service creates and patches, and marks on controller leftovers, out.
 */
export const childServiceHook = defineHook({ name: "child-service", kubernetes: bindings }, handle);
