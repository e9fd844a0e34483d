// Kubernetes Events (events.k8s.io/v1) about endpoint transitions, regarding the SWH and related
// to the pod, so `kubectl describe swh` tells users when and why an endpoint went not ready.
// Repeats of the same event (same SWH, reason and note within the aggregation window) update the
// existing Event's `series.count` instead of creating new objects; every write takes a token from
// the SWH's bucket, and events beyond the rate are counted into the series (or dropped) instead of
// written. Event writes are fire-and-forget: a failure is logged at debug and never blocks probing.

import { SWH_API_VERSION, SWH_KIND } from "../../../../api/contract.js";
import { microTime } from "../../../../api/micro-time.js";
import type { Logger } from "../log.js";
import { describeError } from "swh-kube-client";
import { KeyedTokenBuckets } from "./token-bucket.js";

/** The object an event is about. */
export interface ObjectRef {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
}

/** One event to record. */
export interface EventInput {
  /** The SWH. */
  readonly regarding: ObjectRef;
  /** The pod, when the event is about one endpoint. */
  readonly related?: ObjectRef;
  readonly type: "Normal" | "Warning";
  /** CamelCase reason, e.g. `EndpointNotReady`. */
  readonly reason: string;
  /** Human-readable text (cut to 1 kB). */
  readonly note: string;
}

/** An events.k8s.io/v1 Event body. */
export interface RawEvent {
  apiVersion: "events.k8s.io/v1";
  kind: "Event";
  metadata: { name: string; namespace: string };
  eventTime: string;
  reportingController: string;
  reportingInstance: string;
  action: string;
  reason: string;
  note: string;
  type: string;
  regarding: { apiVersion: string; kind: string; name: string; namespace: string; uid: string };
  related?: { apiVersion: string; kind: string; name: string; namespace: string; uid: string };
  series?: { count: number; lastObservedTime: string };
}

/** Where events go (the API in production; a recording writer in unit tests). */
export interface EventWriter {
  create(event: RawEvent): Promise<void>;
  patchSeries(
    namespace: string,
    name: string,
    count: number,
    lastObservedTime: string,
  ): Promise<void>;
}

/** Outcome of one record() call, for metrics. */
export type EventOutcome = "created" | "aggregated" | "suppressed";

/** Options of EventRecorder. */
export interface EventRecorderOptions {
  readonly writer: EventWriter;
  readonly nodeName: string;
  readonly log: Logger;
  /** Events allowed at once per SWH (default 25). */
  readonly burst?: number;
  /** Sustained events per second per SWH (default 1/30). */
  readonly refillPerSecond?: number;
  /** Repeats within this window aggregate into one Event (ms, default 10 min). */
  readonly aggregationWindowMs?: number;
  readonly now?: () => number;
  readonly onOutcome?: (reason: string, outcome: EventOutcome | "failed") => void;
}

/** The controller name events carry. */
export const REPORTING_CONTROLLER = "network.deckhouse.io/swh-agent";

const MAX_NOTE_BYTES = 1024;

interface Series {
  readonly name: string;
  readonly namespace: string;
  readonly firstAt: number;
  count: number;
  lastAt: number;
  created: boolean;
  /** A write is queued and not started yet: it will carry the latest count. */
  queued: boolean;
  chain: Promise<void>;
}

function cutNote(note: string): string {
  if (Buffer.byteLength(note) <= MAX_NOTE_BYTES) return note;
  let cut = note.slice(0, MAX_NOTE_BYTES - 3);
  while (Buffer.byteLength(cut) > MAX_NOTE_BYTES - 3) cut = cut.slice(0, -1);
  return `${cut}...`;
}

/** Records, aggregates and rate-limits Events (see file header). */
export class EventRecorder {
  readonly #o: EventRecorderOptions;
  readonly #now: () => number;
  readonly #buckets: KeyedTokenBuckets;
  readonly #series = new Map<string, Series>();
  readonly #windowMs: number;
  #seq = 0;
  #records = 0;

  constructor(options: EventRecorderOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#buckets = new KeyedTokenBuckets(options.burst ?? 25, options.refillPerSecond ?? 1 / 30);
    this.#windowMs = options.aggregationWindowMs ?? 10 * 60_000;
  }

  /** Records an event; returns what happened to it. Never throws, never waits for the API. */
  record(input: EventInput): EventOutcome {
    const now = this.#now();
    if (++this.#records % 256 === 0) this.#prune(now);
    const note = cutNote(input.note);
    const key = `${input.regarding.uid}\u0000${input.reason}\u0000${note}`;
    let series = this.#series.get(key);
    if (series && now - series.lastAt > this.#windowMs) {
      this.#series.delete(key);
      series = undefined;
    }
    const allowed = this.#buckets.take(input.regarding.uid, now);
    if (series) {
      series.count++;
      series.lastAt = now;
    }
    if (!allowed) return this.#outcome(input.reason, "suppressed");
    if (!series) {
      const fresh = this.#newSeries(input, now);
      this.#series.set(key, fresh);
      this.#enqueue(fresh, input.reason, () => this.#create(fresh, input, note));
      return this.#outcome(input.reason, "created");
    }
    const s = series;
    this.#enqueue(s, input.reason, () =>
      s.created
        ? this.#o.writer.patchSeries(s.namespace, s.name, s.count, microTime(s.lastAt))
        : this.#create(s, input, note),
    );
    return this.#outcome(input.reason, "aggregated");
  }

  /** Waits for queued writes (used on shutdown and in tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.#series.values()].map(s => s.chain));
  }

  #outcome(reason: string, outcome: EventOutcome): EventOutcome {
    this.#o.onOutcome?.(reason, outcome);
    return outcome;
  }

  #newSeries(input: EventInput, now: number): Series {
    const id = (BigInt(now) * 1_000_000n + BigInt(this.#seq++ % 1_000_000)).toString(16);
    return {
      name: `${input.regarding.name}.${id}`,
      namespace: input.regarding.namespace,
      firstAt: now,
      count: 1,
      lastAt: now,
      created: false,
      queued: false,
      chain: Promise.resolve(),
    };
  }

  async #create(series: Series, input: EventInput, note: string): Promise<void> {
    const ref = (o: ObjectRef, apiVersion: string, kind: string): RawEvent["regarding"] => ({
      apiVersion,
      kind,
      name: o.name,
      namespace: o.namespace,
      uid: o.uid,
    });
    await this.#o.writer.create({
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { name: series.name, namespace: series.namespace },
      eventTime: microTime(series.firstAt),
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: `swh-agent-${this.#o.nodeName}`.slice(0, 128),
      action: "Probe",
      reason: input.reason,
      note,
      type: input.type,
      regarding: ref(input.regarding, SWH_API_VERSION, SWH_KIND),
      ...(input.related ? { related: ref(input.related, "v1", "Pod") } : {}),
      ...(series.count > 1
        ? { series: { count: series.count, lastObservedTime: microTime(series.lastAt) } }
        : {}),
    });
    series.created = true;
  }

  /** Queues a write unless one is already waiting (it will send the latest count). */
  #enqueue(series: Series, reason: string, write: () => Promise<void>): void {
    if (series.queued) return;
    series.queued = true;
    const run = (): Promise<void> => {
      series.queued = false;
      return write();
    };
    series.chain = series.chain.then(run).catch((err: unknown) => {
      this.#o.onOutcome?.(reason, "failed");
      this.#o.log.debug("event write failed", { reason, error: describeError(err) });
    });
  }

  #prune(now: number): void {
    for (const [key, s] of this.#series) {
      if (now - s.lastAt > this.#windowMs) this.#series.delete(key);
    }
    this.#buckets.prune(now);
  }
}
