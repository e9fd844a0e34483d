// The pod network of a box (tests/cluster/netns): a namespace of its own, a veth pair, routes on
// both sides, pod addresses reachable from the root namespace, a range that avoids every routed
// one, and a teardown that leaves nothing behind — no namespace, link or route. Runs as root
// (like the world it serves); uses a network of its own, not the scenarios' one.
import { jest } from "@jest/globals";
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import {
  allocatePodAddresses,
  createPodNetwork,
  ip,
  podNetworkAddresses,
  podNetworkLeftovers,
  releasePodAddresses,
  removePodNetwork,
  routedDestinations,
} from "../../cluster/netns/netns.js";
import { cidrsOverlap, type PodNetworkPlan } from "../../cluster/netns/plan.js";
import { nodeBinary } from "../../cluster/layout.js";

jest.setTimeout(60_000);

let plan: PodNetworkPlan | undefined;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "swh-netns-test-"));
});

afterAll(async () => {
  if (plan) await removePodNetwork(plan).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

/** Connects to host:port from the root namespace; resolves true when the connection opens. */
function reachable(host: string, port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect({ host, port, timeout: 2_000 });
    socket.on("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("timeout", () => {
      socket.destroy();
      resolve(false);
    });
    socket.on("error", () => resolve(false));
  });
}

describe("the pod network", () => {
  const id = randomBytes(3).toString("hex");

  it("takes a range no route covers", async () => {
    const before = await routedDestinations();
    plan = await createPodNetwork(id);
    for (const dst of before) expect(cidrsOverlap(plan.ipv4.cidr, dst)).toBe(false);
    expect(await routedDestinations()).toContain(plan.ipv4.cidr);
  });

  it("gives pods addresses inside the namespace, reachable from the root namespace", async () => {
    const addresses = await allocatePodAddresses(plan!, 1, {
      dualStack: false,
      lockFile: join(dir, "lock"),
    });
    expect(await podNetworkAddresses(plan!)).toContain(addresses.ipv4);
    // A listener inside the namespace, on the pod address (as a backend runs there).
    const listener = `require("node:net").createServer().listen(18080, "${addresses.ipv4}"); setTimeout(() => process.exit(0), 20000);`;
    const child = spawn("ip", ["netns", "exec", plan!.netns, nodeBinary(), "-e", listener]);
    try {
      let ok = false;
      for (let i = 0; i < 50 && !ok; i++) {
        ok = await reachable(addresses.ipv4, 18080);
        if (!ok) await new Promise(r => setTimeout(r, 100));
      }
      expect(ok).toBe(true);
    } finally {
      child.kill("SIGKILL");
    }
    if (plan!.ipv6) {
      // Dual-stack: the pod's IPv6 twin is reachable too.
      const dual = await allocatePodAddresses(plan!, 2, {
        dualStack: true,
        lockFile: join(dir, "lock"),
      });
      const v6 = `require("node:net").createServer().listen(18081, "${dual.ipv6}"); setTimeout(() => process.exit(0), 20000);`;
      const child6 = spawn("ip", ["netns", "exec", plan!.netns, nodeBinary(), "-e", v6]);
      try {
        let ok6 = false;
        for (let i = 0; i < 50 && !ok6; i++) {
          ok6 = await reachable(dual.ipv6!, 18081);
          if (!ok6) await new Promise(r => setTimeout(r, 100));
        }
        expect(ok6).toBe(true);
      } finally {
        child6.kill("SIGKILL");
      }
      await releasePodAddresses(plan!, dual);
    }
    // Releasing the last pod address keeps the route back to the node side.
    await releasePodAddresses(plan!, addresses);
    const routes = await ip(["netns", "exec", plan!.netns, "ip", "-j", "route", "show"]);
    expect(routes).toContain(plan!.ipv4.nodeAddress);
  });

  it("is removed without leftovers", async () => {
    await removePodNetwork(plan!);
    expect(await podNetworkLeftovers(plan!)).toEqual([]);
    plan = undefined;
  });
});
