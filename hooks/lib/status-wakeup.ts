// The status hook's wake-up Lease (STATUS_WAKEUP_LEASE in MODULE_NAMESPACE), both ends of it.
// Fail-open ends once the passing share has held for the hold time; nothing changes when that
// time comes, so something must run the status hook then. The EndpointSlice GC hook already runs
// every 5 s with every SWH; when some SWH's hold has elapsed it renews this Lease
// (`wakeupLeaseOperation`), and the status hook watches it (`statusWakeupBinding`). The binding's
// jqFilter keeps spec.renewTime, so each renewal changes the filter result and runs the hook;
// nothing else writes the Lease, so a cluster without a running hold pays nothing.

import type { CreatePatchOperation, KubernetesBinding } from "shell-operator-ts-hooks";
import {
  ANNOTATION_WAKEUP_FOR,
  HERITAGE_VALUE,
  LABEL_HERITAGE,
  LABEL_MODULE,
  MODULE_NAME,
  MODULE_NAMESPACE,
  STATUS_WAKEUP_LEASE,
} from "../../api/contract.js";
import { asString, recordAt } from "../../api/json-read.js";
import { microTime } from "../../api/micro-time.js";

/** The status hook's binding on the Lease. */
export const STATUS_WAKEUP_BINDING = "wakeup";

/** What the status hook keeps of the Lease: its last renewal, only to tell renewals apart. */
export interface StatusWakeup {
  readonly renewTime?: string;
}

/** At most this many SWHs named in the Lease's annotation (it is informational). */
const NAMED_SWHS = 10;

/** The status hook's binding on the wake-up Lease: every renewal runs the hook. */
export function statusWakeupBinding(): KubernetesBinding<StatusWakeup> {
  return {
    name: STATUS_WAKEUP_BINDING,
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    nameSelector: { matchNames: [STATUS_WAKEUP_LEASE] },
    namespace: { nameSelector: { matchNames: [MODULE_NAMESPACE] } },
    jqFilter: "{spec: {renewTime: .spec.renewTime}}",
    filter: obj => ({ renewTime: asString(recordAt(obj, "spec").renewTime) }),
  };
}

/** The renewal of the wake-up Lease at `now`, naming the SWHs (`namespace/name`) it is for. */
export function wakeupLeaseOperation(swhKeys: readonly string[], now: Date): CreatePatchOperation {
  const named = swhKeys.slice(0, NAMED_SWHS).join(",");
  const more = swhKeys.length > NAMED_SWHS ? ` and ${swhKeys.length - NAMED_SWHS} more` : "";
  return {
    operation: "CreateOrUpdate",
    object: {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: STATUS_WAKEUP_LEASE,
        namespace: MODULE_NAMESPACE,
        labels: { [LABEL_HERITAGE]: HERITAGE_VALUE, [LABEL_MODULE]: MODULE_NAME },
        annotations: { [ANNOTATION_WAKEUP_FOR]: `${named}${more}` },
      },
      spec: { renewTime: microTime(now.getTime()) },
    },
  };
}
