// The one port allocator of the harness: picks below the ephemeral range, never hands out a port
// it already handed out (the EADDRINUSE of two agents started a moment apart), replaces an
// owner's earlier ports for the same name, and forgets an owner that released them or is gone.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  allocatePorts,
  ephemeralStart,
  pickPorts,
  releasePorts,
} from "../../testenv/port-allocator.js";

describe("pickPorts", () => {
  it("skips taken and busy ports and wraps around the range", async () => {
    const busy = new Set([12]);
    const picked = await pickPorts(3, { first: 10, end: 15, start: 13 }, new Set([14]), p =>
      Promise.resolve(!busy.has(p)),
    );
    expect(picked).toEqual([13, 10, 11]);
  });

  it("says so when the range has too few free ports", async () => {
    await expect(
      pickPorts(2, { first: 10, end: 12, start: 10 }, new Set([10]), () => Promise.resolve(true)),
    ).rejects.toThrow(/no 2 free loopback ports in 10-11/);
  });
});

describe("allocatePorts", () => {
  let cache: string;
  let owner: string;
  const saved = process.env.SWH_TESTENV_CACHE;

  beforeEach(async () => {
    cache = await mkdtemp(join(tmpdir(), "swh-ports-"));
    owner = await mkdtemp(join(tmpdir(), "swh-owner-"));
    process.env.SWH_TESTENV_CACHE = cache;
  });

  afterEach(async () => {
    if (saved === undefined) delete process.env.SWH_TESTENV_CACHE;
    else process.env.SWH_TESTENV_CACHE = saved;
    await rm(cache, { recursive: true, force: true });
    await rm(owner, { recursive: true, force: true });
  });

  it("hands out distinct ports below the ephemeral range, even to concurrent callers", async () => {
    const all = (
      await Promise.all(
        ["agent-node-1", "agent-node-2", "agent-node-3"].map(n => allocatePorts(owner, n, 2)),
      )
    ).flat();
    expect(new Set(all).size).toBe(6);
    for (const port of all) {
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThan(ephemeralStart());
    }
  });

  it("replaces a name's ports, and releases an owner's on request or once it is gone", async () => {
    await allocatePorts(owner, "operator", 1);
    const [second] = await allocatePorts(owner, "operator", 1);
    const registry = async (): Promise<string[]> =>
      Object.keys(JSON.parse(await readFile(join(cache, "ports.json"), "utf8")) as object);
    expect(await registry()).toEqual([String(second)]);
    await releasePorts(owner);
    expect(await registry()).toEqual([]);
    await allocatePorts(owner, "box", 2);
    await rm(owner, { recursive: true, force: true });
    await allocatePorts(cache, "other", 1);
    expect(await registry()).toHaveLength(1);
  });
});
