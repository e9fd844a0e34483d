// The node's zone: read from the own Node's label, re-read on a timer, a failed read retried and
// logged, a change reported once.
import { jest } from "@jest/globals";
import type { KubeRest } from "swh-kube-client";
import { NodeZone, zoneOf } from "./node-zone.js";
import { createLogger } from "./log.js";

function fakeRest(answers: (() => unknown)[]): { rest: KubeRest; paths: string[] } {
  const paths: string[] = [];
  const rest = {
    request: (spec: { path: string }): Promise<unknown> => {
      paths.push(spec.path);
      const next = answers.shift();
      try {
        if (!next) throw new Error("no more answers");
        return Promise.resolve(next());
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
  } as unknown as KubeRest;
  return { rest, paths };
}

const node = (zone?: string) => (): { metadata: { labels: Record<string, string> } } => ({
  metadata: { labels: zone ? { "topology.kubernetes.io/zone": zone } : {} },
});

describe("NodeZone", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("reads the zone label of the own node", () => {
    expect(zoneOf(node("zone-a")())).toBe("zone-a");
    expect(zoneOf(node("")())).toBeUndefined();
    expect(zoneOf({})).toBeUndefined();
  });

  it("reports the zone once, retries a failed read sooner, and notices a change", async () => {
    const { rest, paths } = fakeRest([
      () => {
        throw new Error("connection refused");
      },
      node("zone-a"),
      node("zone-a"),
      node("zone-b"),
    ]);
    const changes: (string | undefined)[] = [];
    const zone = new NodeZone({
      rest,
      nodeName: "node-1",
      log: createLogger({ level: "error", sink: () => undefined }),
      onChange: z => changes.push(z),
      refreshMs: 60_000,
      retryMs: 1_000,
    });
    zone.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(zone.zone).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(zone.zone).toBe("zone-a");
    await jest.advanceTimersByTimeAsync(60_000);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(changes).toEqual(["zone-a", "zone-b"]);
    expect(paths.every(p => p === "/api/v1/nodes/node-1")).toBe(true);
    zone.stop();
  });
});
