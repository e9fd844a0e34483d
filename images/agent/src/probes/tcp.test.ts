// Real-socket tests of the TCP prober on loopback: success, refusal, timeout against a full
// accept queue, IPv6, nothing written to the peer, and no TIME_WAIT left behind.

import { blackholeAvailable, startBlackhole } from "../../../../tests/support/blackhole.js";
import { closedPort, ipv6LoopbackAvailable } from "../../../../tests/support/loopback.js";
import { countTcpSockets, TCP_STATE } from "../../../../tests/support/proc-net.js";
import { waitFor } from "../../../../tests/support/wait-for.js";
import { startTcpServer, type TestTcpServer } from "../../../../tests/support/tcp-server.js";
import { probeTcp } from "./tcp.js";

const tcp = (port: number) => ({ mode: "TCP" as const, port });

describe("probeTcp", () => {
  let server: TestTcpServer;
  beforeAll(async () => {
    server = await startTcpServer("127.0.0.1");
  });
  afterAll(() => server.close());

  it("passes when the port accepts, and writes nothing to the peer", async () => {
    const outcome = await probeTcp("127.0.0.1", tcp(server.port), 1_000);
    expect(outcome).toEqual({ ok: true, reason: "", durationMs: expect.any(Number) });
    await waitFor(() => server.closedConnections() >= 1);
    expect(server.bytesReceived()).toBe(0);
  });

  it("fails with ECONNREFUSED when nothing listens", async () => {
    const port = await closedPort();
    const outcome = await probeTcp("127.0.0.1", tcp(port), 1_000);
    expect(outcome.ok).toBe(false);
    expect(outcome.reason).toBe("connect ECONNREFUSED");
  });

  it("fails with a reason instead of throwing for an invalid port", async () => {
    const outcome = await probeTcp("127.0.0.1", tcp(70_000), 1_000);
    expect(outcome).toMatchObject({ ok: false, reason: "connect ERR_SOCKET_BAD_PORT" });
  });

  it("leaves no TIME_WAIT socket behind (closes with RST)", async () => {
    const before = server.accepted();
    // Any TIME_WAIT already on the port (left by an earlier user of it) is not the probe's.
    const timeWaitsBefore = await countTcpSockets(server.port, TCP_STATE.TIME_WAIT);
    for (let i = 0; i < 50; i++) {
      expect((await probeTcp("127.0.0.1", tcp(server.port), 1_000)).ok).toBe(true);
    }
    await waitFor(() => server.closedConnections() >= before + 50);
    expect(await countTcpSockets(server.port, TCP_STATE.TIME_WAIT)).toBeLessThanOrEqual(
      timeWaitsBefore,
    );
    expect(server.bytesReceived()).toBe(0);
  });

  it("probes IPv6 loopback", async () => {
    if (!(await ipv6LoopbackAvailable())) {
      console.warn("skipped: IPv6 loopback (::1) is not available here");
      return;
    }
    const v6 = await startTcpServer("::1");
    try {
      expect(await probeTcp("::1", tcp(v6.port), 1_000)).toMatchObject({ ok: true });
      const refused = await probeTcp("::1", tcp(await closedPort("::1")), 1_000);
      expect(refused.reason).toBe("connect ECONNREFUSED");
    } finally {
      await v6.close();
    }
  });

  it("times out when the server never completes the handshake", async () => {
    if (!blackholeAvailable()) {
      console.warn("skipped: python3 (needed for the full-backlog listener) is not installed");
      return;
    }
    const hole = await startBlackhole();
    try {
      const outcome = await probeTcp(hole.host, tcp(hole.port), 200);
      expect(outcome.ok).toBe(false);
      expect(outcome.reason).toBe("timeout after 200 ms");
      expect(outcome.durationMs).toBeGreaterThanOrEqual(190);
      expect(outcome.durationMs).toBeLessThan(1_000);
    } finally {
      await hole.close();
    }
  });
});
