// The status hook's bindings and handler: the one and only writer of ServiceWithHealthchecks
// `status`. It binds SWHs (with their stored status), all Services (for the child) and the
// agents' EndpointSlices, plans with planStatus and emits one status MergePatch per SWH whose
// status changed, plus the per-SWH gauges.

import { defineHook } from "shell-operator-ts-hooks";
import {
  LABEL_MANAGED_BY,
  MANAGED_BY_VALUE,
  SWH_API_VERSION,
  SWH_KIND,
} from "../../api/contract.js";
import { ENDPOINT_SLICE_JQ_FILTER, filterEndpointSlice } from "../lib/agent-objects.js";
import { filterService } from "../lib/child-service-state.js";
import { emitStatusMetrics } from "./metrics.js";
import { planStatus } from "./plan.js";
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
    },
    // Bursts of slice updates (many probes crossing thresholds at once) collapse into one run.
    settings: { executionMinInterval: "1s", executionBurst: 1 },
  },
  input => {
    const plan = planStatus(input.snapshots, input.now);
    for (const write of plan.writes) {
      const ref = {
        apiVersion: SWH_API_VERSION,
        kind: SWH_KIND,
        namespace: write.namespace,
        name: write.name,
      };
      // A patch on the status subresource is still a patch of the whole object: the API server
      // takes only `.status` from it and silently drops anything else.
      input.patches.mergePatch(
        ref,
        { status: write.mergePatch },
        {
          subresource: "status",
          ignoreMissingObject: true,
        },
      );
    }
    if (plan.writes.length > 0) {
      input.logger.info("status updated", { count: plan.writes.length });
    }
    emitStatusMetrics(plan.summaries, input.metrics);
  },
);
