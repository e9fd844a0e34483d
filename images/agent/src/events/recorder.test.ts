// Event rate limiting and aggregation: repeats become series updates, bursts are capped per SWH,
// other SWHs are not starved, and a failing API never surfaces as an exception.
import { createLogger } from "../log.js";
import { EventRecorder, REPORTING_CONTROLLER, type EventInput, type RawEvent } from "./recorder.js";
import { KeyedTokenBuckets, TokenBucket } from "./token-bucket.js";

class RecordingWriter {
  created: RawEvent[] = [];
  patched: Array<{ name: string; count: number; lastObservedTime: string }> = [];
  failNext = 0;
  async create(event: RawEvent): Promise<void> {
    await Promise.resolve();
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error("API down");
    }
    this.created.push(event);
  }
  async patchSeries(
    _ns: string,
    name: string,
    count: number,
    lastObservedTime: string,
  ): Promise<void> {
    await Promise.resolve();
    this.patched.push({ name, count, lastObservedTime });
  }
}

const swhA = { name: "db", namespace: "ns", uid: "uid-a" };
const swhB = { name: "web", namespace: "ns", uid: "uid-b" };
const pod = { name: "db-0", namespace: "ns", uid: "pod-0" };

function notReady(
  regarding = swhA,
  note = "Endpoint pod db-0 (10.0.0.1) is not ready: TCP:10.0.0.1:5432: refused",
): EventInput {
  return { regarding, related: pod, type: "Warning", reason: "EndpointNotReady", note };
}

function setup(options: { burst?: number; refillPerSecond?: number } = {}) {
  let now = Date.parse("2024-01-01T00:00:00Z");
  const writer = new RecordingWriter();
  const recorder = new EventRecorder({
    writer,
    nodeName: "node-a",
    log: createLogger({ level: "error", sink: () => undefined }),
    now: () => now,
    ...options,
  });
  return { writer, recorder, advance: (ms: number) => (now += ms) };
}

describe("EventRecorder", () => {
  it("creates an events.k8s.io/v1 Event regarding the SWH, related to the pod", async () => {
    const { writer, recorder } = setup();
    expect(recorder.record(notReady())).toBe("created");
    await recorder.flush();
    expect(writer.created).toHaveLength(1);
    expect(writer.created[0]).toMatchObject({
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { namespace: "ns", name: expect.stringMatching(/^db\.[0-9a-f]+$/) },
      eventTime: "2024-01-01T00:00:00.000000Z",
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: "swh-agent-node-a",
      action: "Probe",
      type: "Warning",
      reason: "EndpointNotReady",
      regarding: {
        apiVersion: "network.deckhouse.io/v1alpha1",
        kind: "ServiceWithHealthchecks",
        name: "db",
        uid: "uid-a",
      },
      related: { apiVersion: "v1", kind: "Pod", name: "db-0", uid: "pod-0" },
    });
  });

  it("aggregates repeats into the Event's series count", async () => {
    const { writer, recorder, advance } = setup();
    recorder.record(notReady());
    await recorder.flush();
    advance(1_000);
    expect(recorder.record(notReady())).toBe("aggregated");
    await recorder.flush();
    advance(1_000);
    recorder.record(notReady());
    await recorder.flush();
    expect(writer.created).toHaveLength(1);
    expect(writer.patched).toEqual([
      {
        name: writer.created[0]!.metadata.name,
        count: 2,
        lastObservedTime: "2024-01-01T00:00:01.000000Z",
      },
      {
        name: writer.created[0]!.metadata.name,
        count: 3,
        lastObservedTime: "2024-01-01T00:00:02.000000Z",
      },
    ]);
  });

  it("coalesces repeats that arrive before the first write into one Event with a series", async () => {
    const { writer, recorder, advance } = setup();
    recorder.record(notReady());
    advance(500);
    recorder.record(notReady());
    recorder.record(notReady());
    await recorder.flush();
    expect(writer.patched).toEqual([]);
    expect(writer.created).toHaveLength(1);
    expect(writer.created[0]).toMatchObject({
      eventTime: "2024-01-01T00:00:00.000000Z",
      series: { count: 3, lastObservedTime: "2024-01-01T00:00:00.500000Z" },
    });
  });

  it("starts a new Event after the aggregation window", async () => {
    const { writer, recorder, advance } = setup();
    recorder.record(notReady());
    advance(11 * 60_000);
    expect(recorder.record(notReady())).toBe("created");
    await recorder.flush();
    expect(writer.created).toHaveLength(2);
  });

  it("limits each SWH to its burst, then one event per refill interval, without starving others", async () => {
    const { writer, recorder, advance } = setup({ burst: 3, refillPerSecond: 1 / 10 });
    const outcomes = Array.from({ length: 5 }, (_, i) =>
      recorder.record(notReady(swhA, `note ${i}`)),
    );
    expect(outcomes).toEqual(["created", "created", "created", "suppressed", "suppressed"]);
    expect(recorder.record(notReady(swhB))).toBe("created");
    advance(10_000);
    expect(recorder.record(notReady(swhA, "note 5"))).toBe("created");
    expect(recorder.record(notReady(swhA, "note 6"))).toBe("suppressed");
    await recorder.flush();
    expect(writer.created).toHaveLength(5);
  });

  it("counts suppressed repeats into the next series update", async () => {
    const { writer, recorder, advance } = setup({ burst: 1, refillPerSecond: 1 / 10 });
    recorder.record(notReady());
    await recorder.flush();
    recorder.record(notReady());
    recorder.record(notReady());
    advance(10_000);
    expect(recorder.record(notReady())).toBe("aggregated");
    await recorder.flush();
    expect(writer.patched.map(p => p.count)).toEqual([4]);
  });

  it("swallows API failures and creates the Event on the next repeat", async () => {
    const { writer, recorder } = setup();
    writer.failNext = 1;
    recorder.record(notReady());
    await recorder.flush();
    expect(writer.created).toHaveLength(0);
    recorder.record(notReady());
    await recorder.flush();
    expect(writer.created).toHaveLength(1);
  });

  it("cuts notes to 1 kB", async () => {
    const { writer, recorder } = setup();
    recorder.record(notReady(swhA, "é".repeat(2_000)));
    await recorder.flush();
    expect(Buffer.byteLength(writer.created[0]!.note)).toBeLessThanOrEqual(1024);
  });
});

describe("TokenBucket", () => {
  it("allows a burst, then refills continuously up to capacity", () => {
    const bucket = new TokenBucket(2, 1, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, false]);
    expect(bucket.take(500)).toBe(false);
    expect(bucket.take(1_000)).toBe(true);
    expect(bucket.full(100_000)).toBe(true);
    expect([bucket.take(100_000), bucket.take(100_000), bucket.take(100_000)]).toEqual([
      true,
      true,
      false,
    ]);
  });

  it("keyed buckets are independent and full ones are pruned", () => {
    const buckets = new KeyedTokenBuckets(1, 1);
    expect(buckets.take("a", 0)).toBe(true);
    expect(buckets.take("a", 0)).toBe(false);
    expect(buckets.take("b", 0)).toBe(true);
    expect(buckets.prune(0)).toBe(2);
    expect(buckets.prune(5_000)).toBe(0);
  });
});
