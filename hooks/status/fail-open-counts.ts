// What the fail-open decision counts of one SWH's EndpointSlices: the agents' per-endpoint
// reports (`ready` is the probes' truth, whatever the slice publishes, so the share stays
// truthful while fail-open publishes everything and the exit stays possible). One endpoint per
// (pod, address) across the slices that list it. Not candidates: terminating endpoints (they
// are never published ready), endpoints of fenced slices (their agent is dead, nobody can
// publish them) and drained endpoints (taken out on purpose: draining two of three pods must not
// turn fail-open on, and fail-open never publishes them). Candidates without a result: no report, or a report whose failures include a
// probe still awaiting its first results (initial delay, first runs).

import { PROBE_PENDING_REASON, type EndpointReport } from "../../api/contract.js";
import type { EndpointSliceSnapshot } from "../lib/agent-slices.js";
import { belongsTo, endpointKey } from "./endpoints.js";
import type { FailOpenCounts } from "./fail-open.js";

type Verdict = "passing" | "failing" | "pending" | "excluded";

function reportVerdict(report: EndpointReport | undefined): Verdict {
  if (report === undefined) return "pending";
  if (report.drained === true) return "excluded";
  if (report.ready) return "passing";
  return report.failedProbes.some(f => f.reason === PROBE_PENDING_REASON) ? "pending" : "failing";
}

/** Records `verdict` for `key`: an exclusion wins, a result beats pending, else the first stays. */
function merge(out: Map<string, Verdict>, key: string, verdict: Verdict): void {
  const seen = out.get(key);
  if (seen === "excluded") return;
  if (seen === undefined || seen === "pending" || verdict === "excluded") out.set(key, verdict);
}

/** The verdict of each endpoint of the slices, by endpoint key. */
function verdicts(slices: readonly EndpointSliceSnapshot[]): Map<string, Verdict> {
  const out = new Map<string, Verdict>();
  for (const slice of slices) {
    const reports = new Map(slice.reports.map(r => [endpointKey(r.pod, r.address), r]));
    for (const endpoint of slice.endpoints) {
      const excluded = endpoint.terminating || slice.fencedAt !== undefined;
      for (const address of endpoint.addresses) {
        const key = endpointKey(endpoint.podName ?? address, address);
        merge(out, key, excluded ? "excluded" : reportVerdict(reports.get(key)));
      }
    }
  }
  return out;
}

/** Counts the candidates, probed and passing endpoints of one SWH's slices. Pure. */
export function countFailOpen(
  swh: { readonly uid: string },
  slices: readonly EndpointSliceSnapshot[],
): FailOpenCounts {
  let candidates = 0;
  let probed = 0;
  let passing = 0;
  for (const verdict of verdicts(slices.filter(s => belongsTo(s, swh.uid))).values()) {
    if (verdict === "excluded") continue;
    candidates++;
    if (verdict === "pending") continue;
    probed++;
    if (verdict === "passing") passing++;
  }
  return { candidates, probed, passing };
}
