// The agent's wiring: every room built from the options and connected to the agent's three
// callbacks - the caches changed (recompute the desired state), an SWH needs a sync, and what an
// SWH's desired state is now. agent.ts holds the control loop that drives them.

import type { AgentOptions, SchedulerLike } from "./agent.js";
import type { SwhDesired } from "./desired/endpoints.js";
import { swhUidOfWorkerKey } from "./desired/endpoints.js";
import { EndpointHistory } from "./endpoint-history.js";
import { ApiEventWriter } from "./events/api-writer.js";
import { EventRecorder } from "./events/recorder.js";
import { AgentInformers } from "./informers.js";
import { Heartbeat } from "./lease.js";
import { realClock } from "./scheduler/clock.js";
import { SecretWatcher } from "./secrets.js";
import { SliceApplier, retriable } from "./slices/applier.js";
import { nodeLabelValue } from "./slices/build.js";
import { SliceStore } from "./slices/store.js";
import { AdoptionState } from "./sync/adoption-state.js";
import { EndpointCounts } from "./sync/endpoint-counts.js";
import { DrainedCounts } from "./sync/drain-counts.js";
import { DrainTracker } from "./sync/drain-tracker.js";
import { NodeZone } from "./node-zone.js";
import { SliceSyncer } from "./sync/slice-syncer.js";
import { SyncQueue } from "./sync/sync-queue.js";

/** SWHs synced at once during a flush. */
const FLUSH_CONCURRENCY = 8;

/** What the rooms call back into the agent. */
export interface AgentCallbacks {
  /** The informers or the Secrets changed: recompute the desired state (debounced). */
  readonly inputsChanged: () => void;
  /** SWH `uid` needs a sync (a probe state changed, or with verboseStatus any probe ran). */
  readonly needsSync: (uid: string) => void;
  /** The desired state of an SWH now. */
  readonly desired: (uid: string) => SwhDesired | undefined;
  /** The node's zone changed: every SWH's endpoints need it. */
  readonly zoneChanged: () => void;
}

/** Every room of the agent. */
export interface AgentRooms {
  readonly informers: AgentInformers;
  readonly secrets: SecretWatcher;
  readonly store: SliceStore;
  readonly heartbeat: Heartbeat;
  readonly events: EventRecorder;
  readonly scheduler: SchedulerLike;
  readonly history: EndpointHistory;
  readonly adoption: AdoptionState;
  readonly counts: EndpointCounts;
  /** Drains in progress (sync/drain-tracker.ts) and the drained gauge's counts. */
  readonly drains: DrainTracker;
  readonly drained: DrainedCounts;
  readonly queue: SyncQueue;
  readonly zone: NodeZone;
}

/** Builds and connects the rooms (see file header). */
export function buildRooms(o: AgentOptions, cb: AgentCallbacks): AgentRooms {
  const { config, rest, metrics, log } = o;
  const now = o.now ?? Date.now;
  const observer = metrics.reflectorObserver();
  const store = new SliceStore(now);
  const history = new EndpointHistory();
  const adoption = new AdoptionState();
  const counts = new EndpointCounts();
  const drains = new DrainTracker();
  const drained = new DrainedCounts();
  const zone = new NodeZone({ rest, nodeName: config.nodeName, log, onChange: cb.zoneChanged });
  const events = eventRecorder(o, now);
  const scheduler = probeScheduler(o, cb, drains);
  const syncer = sliceSyncer(o, cb, {
    store,
    history,
    adoption,
    counts,
    zone,
    events,
    scheduler,
    drains,
    drained,
  });
  return {
    informers: new AgentInformers(config, rest, log, observer),
    secrets: new SecretWatcher({
      rest,
      log,
      relistIntervalMs: config.resyncIntervalMs,
      observer,
      onChange: cb.inputsChanged,
    }),
    store,
    heartbeat: heartbeat(o, now),
    events,
    scheduler,
    history,
    adoption,
    counts,
    drains,
    drained,
    zone,
    queue: new SyncQueue({
      clock: o.clock ?? realClock,
      coalesceMs: config.writeCoalesceMs,
      concurrency: FLUSH_CONCURRENCY,
      sync: (uid, since) => syncer.sync(uid, since),
      retriable,
      onFlushed: () => {
        counts.publish(metrics.endpoints);
        drained.publish(metrics.drainedEndpoints);
      },
      log,
    }),
  };
}

/** The event recorder, writing through the API and counting outcomes. */
function eventRecorder(o: AgentOptions, now: () => number): EventRecorder {
  const { config, rest, metrics, log } = o;
  return new EventRecorder({
    writer: new ApiEventWriter(rest),
    nodeName: config.nodeName,
    log,
    now,
    onOutcome: (reason, outcome) => metrics.events.labels(reason, outcome).inc(),
  });
}

/**
 * The probe scheduler: a probe state change needs its SWH synced; with verboseStatus, every probe
 * that ran does, and so does every probe of an endpoint whose removed drain awaits a result (its
 * state may not change, yet the result may end the drain).
 */
function probeScheduler(o: AgentOptions, cb: AgentCallbacks, drains: DrainTracker): SchedulerLike {
  const schedulerObserver = o.metrics.schedulerObserver();
  return o.createScheduler({
    onChange: key => cb.needsSync(swhUidOfWorkerKey(key)),
    observer: {
      ...schedulerObserver,
      onProbe: (spec, outcome, lateMs, recheck) => {
        schedulerObserver.onProbe?.(spec, outcome, lateMs, recheck);
        const restoring = drains.awaitsProbe(spec.key);
        if (o.config.verboseStatus || restoring) cb.needsSync(swhUidOfWorkerKey(spec.key));
      },
    },
  });
}

/** The rooms the slice syncer reads from and reports to. */
type SyncerRooms = Pick<
  AgentRooms,
  | "store"
  | "history"
  | "adoption"
  | "counts"
  | "zone"
  | "events"
  | "scheduler"
  | "drains"
  | "drained"
>;

/** The slice syncer of one SWH at a time, with its applier. */
function sliceSyncer(o: AgentOptions, cb: AgentCallbacks, r: SyncerRooms): SliceSyncer {
  const { config, rest, metrics, log } = o;
  const now = o.now ?? Date.now;
  return new SliceSyncer({
    nodeName: config.nodeName,
    zone: () => r.zone.zone,
    verbose: config.verboseStatus,
    desired: cb.desired,
    stateOf: key => r.adoption.stateOf(key, r.scheduler.state(key), now()),
    ownedBy: uid => r.store.ownedBy(uid),
    applier: new SliceApplier({
      rest,
      store: r.store,
      nodeLabel: nodeLabelValue(config.nodeName),
      log,
      onWrite: (op, ok) => metrics.sliceWrites.labels(op, ok ? "success" : "error").inc(),
    }),
    history: r.history,
    drains: r.drains,
    events: r.events,
    log,
    now,
    onEvaluated: (uid, evaluated) => {
      r.counts.set(uid, evaluated);
      r.drained.set(uid, cb.desired(uid)?.swh, evaluated);
    },
    onPropagated: seconds => metrics.propagation.observe(seconds),
  });
}

/** The heartbeat Lease, counting renewals and recording the last one. */
function heartbeat(o: AgentOptions, now: () => number): Heartbeat {
  const { config, rest, metrics, log } = o;
  return new Heartbeat({
    rest,
    namespace: config.namespace,
    nodeName: config.nodeName,
    leaseDurationMs: config.leaseDurationMs,
    renewIntervalMs: config.leaseRenewIntervalMs,
    log,
    now,
    onRenew: (ok, at) => {
      metrics.leaseRenewals.labels(ok ? "success" : "error").inc();
      if (ok) metrics.leaseLastRenew.set(at / 1000);
    },
  });
}
