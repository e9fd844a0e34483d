// The GC hook's part in ending fail-open: its SWH snapshot carries, for an SWH with
// spec.healthcheck.failOpen whose status has a running hold (status.failOpen.passingSince), the
// hold's start and the SWH's periodSeconds; once some hold has elapsed (hooks/lib/fail-open-hold.ts)
// the run renews the status hook's wake-up Lease (hooks/lib/status-wakeup.ts), one write for all
// such SWHs. While no hold runs, or none has elapsed, nothing is written. The status hook ends
// fail-open on the run the renewal starts and clears passingSince, so the renewals stop; a run
// that comes before the status write reaches this snapshot renews once more (at most one write
// per 5 s tick). SWHs without a running hold keep only their identity, as before: status writes
// change nothing here but the start and end of a hold.

import type { CreatePatchOperation } from "shell-operator-ts-hooks";
import { asNumber, asRecord, asString, compact, recordAt } from "../../api/json-read.js";
import { holdElapsed } from "../lib/fail-open-hold.js";
import { filterObjectIdentity, type ObjectIdentity } from "../lib/object-identity.js";
import { wakeupLeaseOperation } from "../lib/status-wakeup.js";
import { objectKey } from "../lib/swh.js";

/** A running fail-open hold: since when the share has held, and the SWH's probe period. */
export interface RunningHold {
  /** status.failOpen.passingSince (RFC 3339). */
  readonly passingSince: string;
  /** spec.healthcheck.periodSeconds; the default when unset. */
  readonly periodSeconds?: number;
}

/** The GC hook's view of an SWH: its identity, and its running fail-open hold if any. */
export interface GcSwh extends ObjectIdentity {
  readonly hold?: RunningHold;
}

/** jq program for the GC hook's SWH binding: identity, plus the running hold when there is one. */
export const GC_SWH_JQ_FILTER = `{
  metadata: {name: .metadata.name, namespace: .metadata.namespace, uid: .metadata.uid},
  hold: (if .spec.healthcheck.failOpen and .status.failOpen.passingSince
    then {passingSince: .status.failOpen.passingSince, periodSeconds: .spec.healthcheck.periodSeconds}
    else null end)
}`;

/** The `hold` of GC_SWH_JQ_FILTER output, or the same read from a full SWH. */
function rawHold(obj: unknown): Record<string, unknown> {
  if (asRecord(obj)?.hold !== undefined) return recordAt(obj, "hold");
  const healthcheck = recordAt(recordAt(obj, "spec"), "healthcheck");
  if (asRecord(healthcheck.failOpen) === undefined) return {};
  const status = recordAt(recordAt(obj, "status"), "failOpen");
  return { passingSince: status.passingSince, periodSeconds: healthcheck.periodSeconds };
}

/** Snapshot filter for the GC hook's SWH binding (GC_SWH_JQ_FILTER output or a full SWH). */
export function filterGcSwh(obj: unknown): GcSwh | undefined {
  const identity = filterObjectIdentity(obj);
  if (identity === undefined) return undefined;
  const raw = rawHold(obj);
  const passingSince = asString(raw.passingSince);
  const hold =
    passingSince === undefined
      ? undefined
      : compact<RunningHold>({ passingSince, periodSeconds: asNumber(raw.periodSeconds) });
  return compact<GcSwh>({ ...identity, hold });
}

/** A run's wake-up: the SWHs whose hold has elapsed and the one Lease renewal for them. */
export interface FailOpenWakeup {
  /** `namespace/name` of each SWH whose hold has elapsed. */
  readonly swhs: readonly string[];
  readonly operation: CreatePatchOperation;
}

/** The wake-up Lease renewal when some SWH's hold has elapsed at `now`, else none. Pure. */
export function planFailOpenWakeup(swhs: readonly GcSwh[], now: Date): FailOpenWakeup | undefined {
  const due = swhs
    .filter(
      s => s.hold !== undefined && holdElapsed(s.hold.passingSince, s.hold.periodSeconds, +now),
    )
    .map(s => objectKey(s.namespace, s.name));
  if (due.length === 0) return undefined;
  return { swhs: due, operation: wakeupLeaseOperation(due, now) };
}
