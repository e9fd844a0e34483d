// The Event the status hook records when an SWH's fail-open decision changes: Warning `FailOpen`
// when it starts, Normal `FailOpenEnded` when it ends (the share held, or failOpen was removed).
//
// The operator applies the hook's operations after the run, and the next run may start before
// the SWH's new status reaches the snapshot and decide the same transition again. So the Event's
// name is a function of the transition itself - the SWH's uid, the direction, and the condition
// time it leaves - and it is created with CreateIfNotExists: a repeated run creates nothing.
// Nothing is created in a namespace being deleted (the API server refuses creates there, which
// would fail the run and hold the operator's main queue).

import type { CreatePatchOperation } from "shell-operator-ts-hooks";
import { fnv1a32, SWH_API_VERSION, SWH_KIND } from "../../api/contract.js";
import type { FailOpenTransition } from "./fail-open-status.js";

/** `reportingController` of the hooks' Events. */
export const HOOKS_REPORTING_CONTROLLER = "network.deckhouse.io/swh-hooks";

/** Event reasons. */
export const FAIL_OPEN_EVENT_REASON = { started: "FailOpen", ended: "FailOpenEnded" } as const;

/** Longest Event note the API accepts is 1 KiB; our messages stay far below. */
const MAX_NOTE_LENGTH = 1024;

/** The SWH an Event is about. */
export interface EventSubject {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
}

/** The Event's name: `<swh>.failopen-<hash of uid, direction, previous condition time>`. */
export function failOpenEventName(swh: EventSubject, transition: FailOpenTransition): string {
  const key = `${swh.uid}/${transition.started}/${transition.previousTransitionTime}`;
  const hash = fnv1a32(key).toString(16).padStart(8, "0");
  return `${swh.name.slice(0, 253 - 18)}.failopen-${hash}`;
}

/** The CreateIfNotExists operation of the Event (see file header). Pure. */
export function failOpenEventOperation(
  swh: EventSubject,
  transition: FailOpenTransition,
  now: Date,
): CreatePatchOperation {
  const reason = transition.started ? FAIL_OPEN_EVENT_REASON.started : FAIL_OPEN_EVENT_REASON.ended;
  const note = transition.started
    ? `Fail-open: ${transition.message}`
    : `Fail-open ended: ${transition.message}`;
  return {
    operation: "CreateIfNotExists",
    object: {
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { name: failOpenEventName(swh, transition), namespace: swh.namespace },
      eventTime: now.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z"),
      reportingController: HOOKS_REPORTING_CONTROLLER,
      reportingInstance: "status",
      action: "Decide",
      reason,
      note: note.slice(0, MAX_NOTE_LENGTH),
      type: transition.started ? "Warning" : "Normal",
      regarding: {
        apiVersion: SWH_API_VERSION,
        kind: SWH_KIND,
        name: swh.name,
        namespace: swh.namespace,
        uid: swh.uid,
      },
    },
  };
}
