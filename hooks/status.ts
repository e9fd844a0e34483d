// The status hook: the one and only writer of ServiceWithHealthchecks `status`. Agents publish
// endpoints (and per-endpoint failure reports) on their EndpointSlices; the child-service hook
// owns the child Service; this hook folds both into each SWH's status - endpoint counts, the
// per-endpoint list, the Ready and ChildServiceReady conditions, cluster IPs and load balancer.
//
// A single writer that writes only on change is the point: the Go implementation had every agent
// patch every SWH's status, and at scale that status storm was its first failure. Each run
// recomputes every SWH's status from all snapshots (batch hooks always get them all), compares it
// with the status already stored - semantically, ignoring order and empty values - and emits a
// status MergePatch with only the fields that differ, or nothing.
//
// This file is the hook's entry (hooks/main.ts registers `statusHook` from here) and its public
// surface; the parts live in hooks/status/, one job per file:
//   snapshots.ts      what the hook keeps of SWHs and Services (jqFilters + TS filters)
//   endpoints.ts      the slices of one SWH folded into endpoint statuses and counts
//   pod-statuses.ts   per-address statuses merged into the CRD's per-pod list, within limits
//   conditions.ts     Ready and ChildServiceReady, with stable transition times
//   desired.ts        the whole desired status of one SWH
//   diff.ts           semantic comparison with the stored status and the merge patch
//   plan.ts           one run over all SWHs: the writes and the per-SWH summaries
//   metrics.ts        the per-SWH gauges
//   hook.ts           bindings and handler

export {
  buildConditions,
  childServiceCondition,
  readyCondition,
  rfc3339,
  settleCondition,
  type ConditionCore,
} from "./status/conditions.js";
export { desiredStatus, type DesiredStatus } from "./status/desired.js";
export {
  OWNED_STATUS_FIELDS,
  isAbsent,
  sameField,
  sameJson,
  statusMergePatch,
} from "./status/diff.js";
export {
  LEGACY_ONLY_MESSAGE,
  MAX_ENDPOINT_STATUSES,
  summarizeEndpoints,
  type EndpointSummary,
} from "./status/endpoints.js";
export { statusHook } from "./status/hook.js";
export { STATUS_METRICS, STATUS_METRIC_GROUP, emitStatusMetrics } from "./status/metrics.js";
export {
  planStatus,
  type StatusPlan,
  type StatusSnapshots,
  type StatusWrite,
  type SwhStatusSummary,
} from "./status/plan.js";
export {
  STATUS_SERVICE_JQ_FILTER,
  STATUS_SWH_JQ_FILTER,
  filterSwhWithStatus,
  type StatusSwh,
  type SwhWithStatus,
} from "./status/snapshots.js";
