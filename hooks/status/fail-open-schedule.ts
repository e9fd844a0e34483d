// The status hook's schedule exists for one thing: ending fail-open once the passing share has
// held for the hold time, when no slice or SWH changes to run the hook meanwhile. A scheduled run
// has work only while some SWH's hold is running (status.failOpen.passingSince is set); any other
// scheduled run stops before planning, so clusters without a running hold pay only the start.

import type { BindingContext } from "shell-operator-ts-hooks";
import type { SwhWithStatus } from "./snapshots.js";

/** The status hook's schedule binding. */
export const FAIL_OPEN_SCHEDULE = "fail-open-hold";

/** True when only the schedule fired and no SWH's fail-open hold is running. Pure. */
export function idleScheduledRun(
  contexts: readonly BindingContext[],
  swhs: readonly SwhWithStatus[],
): boolean {
  if (contexts.length === 0 || contexts.some(c => c.binding !== FAIL_OPEN_SCHEDULE)) return false;
  return !swhs.some(s => s.swh.storedFailOpen?.passingSince !== undefined);
}
