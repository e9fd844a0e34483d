// EndpointSlice garbage collection and fencing, one hook. Agents publish EndpointSlices but
// cannot clean up after themselves when their SWH is deleted while they are down, or when their
// node is gone; and a dead agent cannot withdraw endpoints it last published as ready. This hook
// deletes slices whose SWH or node no longer exists and fences (marks not ready) the slices of
// agents whose heartbeat Lease expired.
//
// The same run hands over the Go implementation's legacy slices (hooks/endpointslice-gc/legacy-slices.ts): they
// are deleted once our agent on their node publishes the same ready endpoints, or has run long
// enough to be the truth. Node names are compared through `nodeLabelValue` everywhere, as the
// agents label slices and Leases with it: a 64+ character node name is neither GC'd nor fenced.
//
// GC and fencing are one hook on purpose: they need the same four snapshots (slices, SWHs,
// Nodes, Leases), so one hook keeps one copy of them in the operator's memory instead of two;
// and planning them together means a slice about to be deleted is never also patched (a patch
// on a deleted slice would fail the run). A 5-second schedule notices Lease expiry without any
// event; slice and Lease changes do not run the hook at all (snapshot-only bindings), so agents
// renewing Leases and rewriting slices cost nothing here. SWHs and Nodes do run it (a deletion
// is collected at once); their identity-only jqFilter makes the operator drop Modified events
// (an SWH's also keeps a running fail-open hold, which starts and ends rarely).
//
// The same run wakes the status hook when some SWH's fail-open hold has elapsed, by renewing a
// Lease the status hook watches (hooks/endpointslice-gc/fail-open-wakeup.ts): the status hook then
// needs no schedule of its own, and a run without an elapsed hold writes nothing.
//
// The same run deletes kube-controller-manager's leftovers of adopted Services once the agents
// serve instead (hooks/endpointslice-gc/leftover-handover.ts): the child-service hook marks them, and only marked
// slices are watched here (snapshot-only), so a cluster's own EndpointSlices cost nothing.

import { defineHook } from "shell-operator-ts-hooks";
import {
  LABEL_LEASE_COMPONENT,
  LABEL_MANAGED_BY,
  LEASE_COMPONENT_VALUE,
  MANAGED_BY_VALUE,
  MODULE_NAMESPACE,
  SWH_API_VERSION,
  SWH_KIND,
} from "../../api/contract.js";
import { LEASE_JQ_FILTER, filterLease } from "../lib/agent-leases.js";
import { ENDPOINT_SLICE_JQ_FILTER, filterEndpointSlice } from "../lib/agent-slices.js";
import { OBJECT_IDENTITY_JQ_FILTER, filterObjectIdentity } from "../lib/object-identity.js";
import { leftoversBinding, LEFTOVERS_BINDING } from "../lib/controller-leftovers.js";
import { ENDPOINT_SLICE_API_VERSION, ENDPOINT_SLICE_KIND, planGcAndFencing } from "./plan.js";
import { GC_SWH_JQ_FILTER, filterGcSwh, planFailOpenWakeup } from "./fail-open-wakeup.js";
import { applyGcAndFencingPlan } from "./apply.js";

/** The hook: GC of orphaned agent EndpointSlices and fencing of dead agents' slices. */
export const endpointsliceGcHook = defineHook(
  {
    name: "endpointslice-gc",
    // A queue of its own: a hook run the API server refuses (a tenant's admission policy on a
    // child Service, say) stays at the head of its queue and is retried there; fencing must not
    // wait behind it on the main queue.
    queue: "fencing",
    schedule: [{ name: "every-5s", crontab: "*/5 * * * * *" }],
    kubernetes: {
      slices: {
        name: "slices",
        apiVersion: ENDPOINT_SLICE_API_VERSION,
        kind: ENDPOINT_SLICE_KIND,
        labelSelector: { matchLabels: { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE } },
        executeHookOnEvent: [],
        jqFilter: ENDPOINT_SLICE_JQ_FILTER,
        filter: filterEndpointSlice,
      },
      swhs: {
        name: "swhs",
        apiVersion: SWH_API_VERSION,
        kind: SWH_KIND,
        jqFilter: GC_SWH_JQ_FILTER,
        filter: filterGcSwh,
      },
      nodes: {
        name: "nodes",
        apiVersion: "v1",
        kind: "Node",
        jqFilter: OBJECT_IDENTITY_JQ_FILTER,
        filter: filterObjectIdentity,
      },
      leases: {
        name: "leases",
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        namespace: { nameSelector: { matchNames: [MODULE_NAMESPACE] } },
        labelSelector: { matchLabels: { [LABEL_LEASE_COMPONENT]: LEASE_COMPONENT_VALUE } },
        executeHookOnEvent: [],
        jqFilter: LEASE_JQ_FILTER,
        filter: filterLease,
      },
      [LEFTOVERS_BINDING]: leftoversBinding(),
    },
  },
  input => {
    const plan = planGcAndFencing(input.snapshots, input.now);
    applyGcAndFencingPlan(plan, input);
    const wakeup = planFailOpenWakeup(input.snapshots.swhs, input.now);
    if (wakeup !== undefined) {
      input.patches.add(wakeup.operation);
      input.logger.info("waking the status hook: a fail-open hold has elapsed", {
        count: wakeup.swhs.length,
        swhs: wakeup.swhs.slice(0, 10),
      });
    }
  },
);
