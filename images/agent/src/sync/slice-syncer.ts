// Brings one SWH's EndpointSlices on this node to the desired state: evaluate each endpoint from
// its probe states (recording an event and a log line when one flips; under fail-open every
// candidate is published ready, desired/fail-open.ts), build the slices, plan
// them against what the store holds, apply. A conflict (someone else wrote the slice, or our
// cache was stale) re-reads the slice and re-plans, up to a few rounds; any other error throws,
// for the sync queue to retry. A drained endpoint (desired/drain.ts) gets its drain applied after
// its probe verdict; the start and the end of a drain are events of their own (Drained,
// DrainRemoved), and a flip to not ready that the drain alone caused records no EndpointNotReady.

import type { DesiredEndpoint, SwhDesired } from "../desired/endpoints.js";
import { applyDrain, drainOver, type DrainPhase } from "../desired/drain.js";
import { applyFailOpen } from "../desired/fail-open.js";
import { evaluateEndpoint, type EndpointVerdict } from "../desired/readiness.js";
import type { AgentSwh } from "../desired/swh.js";
import type { EndpointHistory } from "../endpoint-history.js";
import type { EventInput } from "../events/recorder.js";
import type { Logger } from "../log.js";
import type { ProbeState } from "../scheduler/types.js";
import type { ApplyOutcome } from "../slices/applier.js";
import { buildSlices, type EvaluatedEndpoint } from "../slices/build.js";
import { planSize, planSlices, type SlicePlan } from "../slices/plan.js";
import type { DrainTracker } from "./drain-tracker.js";
import type { RawEndpointSlice } from "swh-kube-client";
import { ANNOTATION_DRAIN_FROM } from "../../../../api/contract.js";

/** Plan/apply rounds per SWH per sync (each conflict re-plans from fresh state). */
export const MAX_APPLY_ROUNDS = 4;

/** Options of SliceSyncer. */
export interface SliceSyncerOptions {
  readonly nodeName: string;
  /** The node's zone now, when known (node-zone.ts): endpoints carry it, and topology hints. */
  readonly zone?: () => string | undefined;
  /** Publish per-probe details and probe times (the verboseStatus setting). */
  readonly verbose: boolean;
  /** The desired state of an SWH (undefined once it is gone: its slices are deleted). */
  readonly desired: (uid: string) => SwhDesired | undefined;
  /** A worker's current probe state. */
  readonly stateOf: (workerKey: string) => ProbeState | undefined;
  /** The slices of an SWH this agent owns, as the store holds them. */
  readonly ownedBy: (uid: string) => readonly RawEndpointSlice[];
  readonly applier: { apply(plan: SlicePlan): Promise<ApplyOutcome> };
  readonly history: EndpointHistory;
  /** Drains in progress; without one, drain annotations are not applied (tests). */
  readonly drains?: DrainTracker;
  readonly events: { record(input: EventInput): void };
  readonly log: Logger;
  readonly now: () => number;
  /** The evaluated endpoints of an SWH after each sync (counts for the gauges). */
  readonly onEvaluated?: (uid: string, evaluated: readonly EvaluatedEndpoint[]) => void;
  /** Seconds from dirty to written, when a sync wrote. */
  readonly onPropagated?: (seconds: number) => void;
}

/** One SWH's evaluate → build → plan → apply (see file header). */
export class SliceSyncer {
  readonly #o: SliceSyncerOptions;

  constructor(options: SliceSyncerOptions) {
    this.#o = options;
  }

  /** Syncs SWH `uid`, dirty since `dirtySince` (ms). Throws on API errors. */
  async sync(uid: string, dirtySince: number): Promise<void> {
    const sd = this.#o.desired(uid);
    const evaluated = sd ? this.#evaluate(sd) : [];
    this.#o.onEvaluated?.(uid, evaluated);
    const desiredSlices = sd
      ? buildSlices({
          swh: sd.swh,
          nodeName: this.#o.nodeName,
          zone: this.#o.zone?.(),
          trafficDistribution: sd.swh.spec.trafficDistribution,
          endpoints: evaluated,
          verbose: this.#o.verbose,
        })
      : [];
    let writes = 0;
    for (let round = 0; round < MAX_APPLY_ROUNDS; round++) {
      const plan = planSlices(desiredSlices, this.#o.ownedBy(uid));
      if (planSize(plan) === 0) break;
      const outcome = await this.#o.applier.apply(plan);
      writes += outcome.writes;
      if (outcome.error) throw outcome.error;
      if (!outcome.conflict) break;
      if (round === MAX_APPLY_ROUNDS - 1) {
        throw new Error(`EndpointSlices of SWH ${uid} kept conflicting`);
      }
    }
    if (writes > 0) this.#o.onPropagated?.((this.#o.now() - dirtySince) / 1000);
  }

  #evaluate(sd: SwhDesired): EvaluatedEndpoint[] {
    const now = this.#o.now();
    const nowIso = new Date(now).toISOString();
    return sd.endpoints.map(endpoint => {
      // Fail-open publishes every candidate; a drain (the operator's explicit word) wins over it.
      const probed = applyFailOpen(
        evaluateEndpoint(endpoint, this.#o.stateOf, sd.publishNotReadyAddresses),
        sd.swh.failOpen === true,
      );
      const verdict = applyDrain(probed, this.#drainPhase(sd.swh, endpoint, now));
      const seen = this.#o.history.observe(endpoint.key, verdict.healthy, nowIso);
      const drainOnly = verdict.drain !== undefined && probed.healthy;
      if (seen.flippedFrom && !drainOnly) this.#recordTransition(sd.swh, endpoint, verdict);
      return { endpoint, verdict, lastTransitionTime: seen.record.since };
    });
  }

  /** The endpoint's drain phase now; records Drained or DrainRemoved when one began or ended. */
  #drainPhase(swh: AgentSwh, endpoint: DesiredEndpoint, now: number): DrainPhase | undefined {
    const drains = this.#o.drains;
    if (drains === undefined) return undefined;
    const step = drains.observe(endpoint.key, endpoint.drained === true, now, removedAt =>
      drainOver(endpoint.probes, removedAt, this.#o.stateOf),
    );
    if (!step.began && !step.ended) return step.phase;
    const who = `pod ${endpoint.pod.name} (${endpoint.address})`;
    const note = step.began
      ? `Endpoint ${who} is drained by the pod's annotation ${ANNOTATION_DRAIN_FROM}: no new connections`
      : step.phase === undefined
        ? `Drain of endpoint ${who} removed (annotation ${ANNOTATION_DRAIN_FROM})`
        : `Drain of endpoint ${who} removed (annotation ${ANNOTATION_DRAIN_FROM}); it returns at its next passing probe`;
    const reason = step.began ? "Drained" : "DrainRemoved";
    this.#o.events.record({
      regarding: { name: swh.name, namespace: swh.namespace, uid: swh.uid },
      related: endpoint.pod,
      type: "Normal",
      reason,
      note,
    });
    this.#o.log.info(step.began ? "endpoint drained" : "endpoint drain removed", {
      swh: `${swh.namespace}/${swh.name}`,
      pod: endpoint.pod.name,
      address: endpoint.address,
    });
    return step.phase;
  }

  #recordTransition(swh: AgentSwh, endpoint: DesiredEndpoint, verdict: EndpointVerdict): void {
    const who = `pod ${endpoint.pod.name} (${endpoint.address})`;
    const failing = verdict.failures.map(f => `${f.probe}: ${f.reason}`).join("; ");
    this.#o.events.record({
      regarding: { name: swh.name, namespace: swh.namespace, uid: swh.uid },
      related: endpoint.pod,
      type: verdict.healthy ? "Normal" : "Warning",
      reason: verdict.healthy ? "EndpointReady" : "EndpointNotReady",
      note: verdict.healthy
        ? `Endpoint ${who} is ready`
        : `Endpoint ${who} is not ready: ${failing}`,
    });
    this.#o.log.info(verdict.healthy ? "endpoint ready" : "endpoint not ready", {
      swh: `${swh.namespace}/${swh.name}`,
      pod: endpoint.pod.name,
      address: endpoint.address,
      ...(verdict.healthy ? {} : { failing }),
    });
  }
}
