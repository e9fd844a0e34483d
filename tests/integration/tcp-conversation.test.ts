// TCP conversations (probes[].tcp.conversation) against real servers on loopback: the test
// backends' SMTP-like server (the one the e2e pods run) ready, wedged (accepts, never greets) and
// refusing (greets 554), plus small servers for what SMTP does not show (a greeting in pieces, a
// flood, a server that hangs up). Each case proves the verdict, the reason naming the step and
// what was received, and that the timeout bounds the probe. The last cases run the probe through
// the scheduler, so the reason is the one the endpoint's status reports.

import { createServer, type Server, type Socket } from "node:net";
import { hostname } from "node:os";
import { buildProbe } from "../../images/agent/src/desired/probes.js";
import { createProbers } from "../../images/agent/src/probes/index.js";
import { probeTcp } from "../../images/agent/src/probes/tcp.js";
import type { ProbeSpec } from "../../images/agent/src/probes/types.js";
import { ProbeScheduler } from "../../images/agent/src/scheduler/scheduler.js";
import type { ProbeState } from "../../images/agent/src/scheduler/types.js";
import type { TCPConversationStep } from "../../api/v1alpha1.js";
import { pod } from "../agent/fixtures.js";
import { smtpLikeServer, type PodServer } from "../cluster/backends/servers.js";
import { serveSmtp } from "../cluster/backends/smtp.js";
import { freePort } from "../support/loopback.js";
import { waitFor } from "../support/wait-for.js";

const HOST = "127.0.0.1";

/** The seed's SMTP conversation, as a manifest writes it. */
const SMTP: TCPConversationStep[] = [
  { expect: { prefix: "220" } },
  { send: "EHLO swh-probe" },
  { expect: { prefix: "250" } },
  { send: "QUIT" },
];

/** The ProbeSpec the agent builds for `conversation` on `port` (validation included). */
function tcpSpec(port: number, conversation: TCPConversationStep[]): ProbeSpec {
  const built = buildProbe(
    { mode: "TCP", tcp: { targetPort: port, conversation } },
    pod({ name: "vm" }),
    HOST,
    () => "pending",
  );
  if (!("spec" in built)) throw new Error(built.failure.reason);
  return built.spec;
}

/** A loopback server running `serve` on every connection, recording what clients send. */
async function startServer(serve: (socket: Socket) => void) {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  let serverClosedFirst = 0;
  const server: Server = createServer(socket => {
    sockets.add(socket);
    let text = "";
    socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
    socket.on("end", () => received.push(text));
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.on("finish", () => {
      if (!socket.readableEnded) serverClosedFirst += 1;
    });
    serve(socket);
  });
  await new Promise<void>(resolve => server.listen({ host: HOST, port: 0 }, resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    received,
    serverClosedFirst: () => serverClosedFirst,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
}

describe("TCP conversations against the test backends' SMTP-like server", () => {
  let smtp: PodServer;
  let port: number;
  beforeAll(async () => {
    port = await freePort(HOST);
    smtp = smtpLikeServer({ name: "smtp", host: HOST, port });
    await smtp.start();
  });
  afterAll(() => smtp.stop());
  afterEach(() => smtp.setSmtpMode("ready"));

  it("passes the seed's conversation with a server that greets", async () => {
    const outcome = await probeTcp(HOST, tcpSpec(port, SMTP), 2_000);
    expect(outcome).toEqual({ ok: true, reason: "", durationMs: expect.any(Number) });
    expect(outcome.durationMs).toBeLessThan(1_000);
  });

  it("fails within the timeout, naming the greeting step, when the server never greets", async () => {
    smtp.setSmtpMode("wedged");
    const outcome = await probeTcp(HOST, tcpSpec(port, SMTP), 300);
    expect(outcome).toMatchObject({
      ok: false,
      reason: 'conversation[0] expect prefix "220": timeout after 300 ms, received nothing',
    });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(290);
    expect(outcome.durationMs).toBeLessThan(1_000);
  });

  it("fails at once with what the server said when it greets wrong", async () => {
    smtp.setSmtpMode("refusing");
    const outcome = await probeTcp(HOST, tcpSpec(port, SMTP), 2_000);
    expect(outcome.ok).toBe(false);
    expect(outcome.reason).toBe(
      `conversation[0] expect prefix "220": received "554 ${hostname()} smtp no service here\\r\\n"`,
    );
    expect(outcome.durationMs).toBeLessThan(1_000);
  });

  it("passes a plain TCP probe on the wedged server (why a conversation is needed)", async () => {
    smtp.setSmtpMode("wedged");
    expect(await probeTcp(HOST, { mode: "TCP", port }, 300)).toMatchObject({ ok: true });
  });
});

describe("TCP conversations: the polite close and the bounds", () => {
  it("sends EHLO and QUIT with CRLF, and lets the server close first", async () => {
    const server = await startServer(s => serveSmtp(s, "ready", { host: "h", name: "n" }));
    try {
      expect(await probeTcp(HOST, tcpSpec(server.port, SMTP), 2_000)).toMatchObject({ ok: true });
      await waitFor(() => server.received.length === 1);
      expect(server.received).toEqual(["EHLO swh-probe\r\nQUIT\r\n"]);
      expect(server.serverClosedFirst()).toBe(1);
    } finally {
      await server.close();
    }
  });

  it("waits for the end of a greeting sent in pieces before the next reply", async () => {
    const server = await startServer(socket => {
      socket.write("22");
      setTimeout(() => socket.write("0 slow"), 50);
      setTimeout(() => socket.write(" greeting\r\n"), 100);
      socket.on("data", () => socket.write("250 ok\r\n"));
    });
    try {
      const spec = tcpSpec(server.port, [
        { expect: { prefix: "220" } },
        { send: "PING" },
        { expect: { prefix: "250" } },
      ]);
      expect(await probeTcp(HOST, spec, 2_000)).toMatchObject({ ok: true, reason: "" });
    } finally {
      await server.close();
    }
  });

  it("reads at most 4 KiB: a flood without the expected text fails", async () => {
    const server = await startServer(socket => socket.write(Buffer.alloc(64 * 1024, 0x41)));
    try {
      const spec = tcpSpec(server.port, [{ expect: { contains: "+PONG" } }]);
      const outcome = await probeTcp(HOST, spec, 2_000);
      expect(outcome.reason).toBe(
        `conversation[0] expect contains "+PONG": no match in the first 4096 bytes, received "${"A".repeat(64)}"…`,
      );
    } finally {
      await server.close();
    }
  });

  it("fails a Redis-like PING when the server hangs up instead of answering +PONG", async () => {
    const server = await startServer(socket => socket.once("data", () => socket.end("-ERR x\r\n")));
    try {
      const spec = tcpSpec(server.port, [{ send: "PING" }, { expect: { contains: "+PONG" } }]);
      expect((await probeTcp(HOST, spec, 2_000)).reason).toBe(
        'conversation[1] expect contains "+PONG": connection closed, received "-ERR x\\r\\n"',
      );
    } finally {
      await server.close();
    }
  });

  it("passes at the timeout when the server ignores the final QUIT and never closes", async () => {
    const server = await startServer(socket => socket.write("220 hi\r\n"));
    try {
      const spec = tcpSpec(server.port, [{ expect: { prefix: "220" } }, { send: "QUIT" }]);
      const outcome = await probeTcp(HOST, spec, 300);
      expect(outcome.ok).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe("TCP conversations through the scheduler", () => {
  it("takes a wedged SMTP server's endpoint out with the step in its reason, and back", async () => {
    const port = await freePort(HOST);
    const smtp = smtpLikeServer({ name: "smtp", host: HOST, port });
    await smtp.start();
    const probers = createProbers();
    const states: ProbeState[] = [];
    const scheduler = new ProbeScheduler({
      probers: probers.probers,
      maxConcurrent: 8,
      onChange: (_key, state) => void states.push(state),
    });
    try {
      scheduler.sync([
        {
          key: "smtp",
          address: HOST,
          probe: tcpSpec(port, SMTP),
          periodMs: 100,
          timeoutMs: 200,
          initialDelayMs: 0,
          successThreshold: 1,
          failureThreshold: 2,
        },
      ]);
      await waitFor(() => states.at(-1)?.healthy === true, 5_000);
      smtp.setSmtpMode("wedged");
      await waitFor(() => states.at(-1)?.healthy === false, 5_000);
      expect(states.at(-1)?.reason).toBe(
        'conversation[0] expect prefix "220": timeout after 200 ms, received nothing',
      );
      smtp.setSmtpMode("ready");
      await waitFor(() => states.at(-1)?.healthy === true, 5_000);
    } finally {
      await scheduler.stop();
      probers.close();
      await smtp.stop();
    }
  });
});
