// The status hook: the one and only writer of ServiceWithHealthchecks `status`. Agents publish
// endpoints (and per-endpoint failure reports) on their EndpointSlices; the child-service hook
// owns the child Service; this hook folds both into each SWH's status - endpoint counts, the
// per-endpoint list, the Ready and ChildServiceReady conditions, cluster IPs and load balancer,
// and, for SWHs with spec.healthcheck.failOpen, the one cluster-wide fail-open decision (the
// FailOpen condition and status.failOpen, which every agent follows) with an Event when it changes.
//
// A single writer that writes only on change is the point: the Go implementation had every agent
// patch every SWH's status, and at scale that status storm was its first failure. Each run
// recomputes every SWH's status from all snapshots (batch hooks always get them all), compares it
// with the status already stored - semantically, ignoring order and empty values - and emits a
// status MergePatch with only the fields that differ, or nothing.
//
// This file holds the bindings and the handler (hooks/main.ts registers `statusHook`); the parts
// live beside it, one job per file:
//   snapshots.ts      what the hook keeps of SWHs and Services (jqFilters + TS filters)
//   endpoints.ts      the slices of one SWH folded into endpoint statuses and counts
//   pod-statuses.ts   per-address statuses merged into the CRD's per-pod list, within limits
//   conditions.ts     Ready and ChildServiceReady, with stable transition times
//   fail-open*.ts     the fail-open decision, its counts, status and Event
//   desired.ts        the whole desired status of one SWH
//   diff.ts           semantic comparison with the stored status and the merge patch
//   plan.ts           one run over all SWHs: the writes and the per-SWH summaries
//   metrics.ts        the per-SWH gauges

import { defineHook } from "shell-operator-ts-hooks";
import {
  LABEL_MANAGED_BY,
  MANAGED_BY_VALUE,
  SWH_API_VERSION,
  SWH_KIND,
} from "../../api/contract.js";
import { ENDPOINT_SLICE_JQ_FILTER, filterEndpointSlice } from "../lib/agent-slices.js";
import { filterService } from "../lib/child-service-state.js";
import { namespacesBinding, NAMESPACES_BINDING } from "../lib/namespaces.js";
import { STATUS_WAKEUP_BINDING, statusWakeupBinding } from "../lib/status-wakeup.js";
import { emitStatusMetrics } from "./metrics.js";
import { planStatus, statusOperation } from "./plan.js";
import {
  STATUS_SERVICE_JQ_FILTER,
  STATUS_SWH_JQ_FILTER,
  filterSwhWithStatus,
} from "./snapshots.js";

/** The hook: computes and writes SWH status, only when it changed. */
export const statusHook = defineHook(
  {
    name: "status",
    kubernetes: {
      swhs: {
        name: "swhs",
        apiVersion: SWH_API_VERSION,
        kind: SWH_KIND,
        jqFilter: STATUS_SWH_JQ_FILTER,
        filter: filterSwhWithStatus,
      },
      services: {
        name: "services",
        apiVersion: "v1",
        kind: "Service",
        jqFilter: STATUS_SERVICE_JQ_FILTER,
        filter: filterService,
      },
      slices: {
        name: "slices",
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        labelSelector: { matchLabels: { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE } },
        jqFilter: ENDPOINT_SLICE_JQ_FILTER,
        filter: filterEndpointSlice,
      },
      [NAMESPACES_BINDING]: namespacesBinding(),
      // Ends fail-open once the share has held, when nothing else changes meanwhile: the GC
      // hook renews this Lease when some SWH's hold has elapsed (hooks/lib/status-wakeup.ts).
      [STATUS_WAKEUP_BINDING]: statusWakeupBinding(),
    },
    // Bursts of slice updates (many probes crossing thresholds at once) collapse into one run.
    settings: { executionMinInterval: "1s", executionBurst: 1 },
  },
  input => {
    const plan = planStatus(input.snapshots, input.now);
    input.patches.add(...plan.writes.map(statusOperation), ...plan.events);
    if (plan.writes.length > 0) {
      input.logger.info("status updated", { count: plan.writes.length });
    }
    for (const change of plan.failOpenChanges) {
      input.logger.info(change.started ? "fail-open started" : "fail-open ended", {
        swh: `${change.namespace}/${change.name}`,
        message: change.message,
      });
    }
    emitStatusMetrics(plan.summaries, input.metrics);
  },
);
