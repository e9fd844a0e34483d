// The socket counter the probe tests rely on to prove "no TIME_WAIT on the agent's side", checked
// against the real kernel: whoever closes a connection first keeps it in TIME_WAIT, so a client
// that closes first is counted at the remote-port end, and a server that closes first is not.
import { once } from "node:events";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { countTcpSockets, TCP_STATE } from "../../support/proc-net.js";

/** A loopback server that, per connection, closes first or waits for the client to. */
async function server(closesFirst: boolean): Promise<{ server: Server; port: number }> {
  const s = createServer(socket => {
    socket.on("error", () => undefined);
    if (closesFirst) socket.end();
    else socket.on("end", () => socket.end());
  });
  s.listen(0, "127.0.0.1");
  await once(s, "listening");
  return { server: s, port: (s.address() as { port: number }).port };
}

/** Connects, lets whoever closes first close, and waits until both ends are closed. */
async function exchange(port: number, clientClosesFirst: boolean): Promise<void> {
  const client: Socket = createConnection({ host: "127.0.0.1", port });
  await once(client, "connect");
  if (clientClosesFirst) client.end();
  else client.on("end", () => client.end());
  await once(client, "close");
}

describe("countTcpSockets", () => {
  const servers: Server[] = [];
  afterAll(() => servers.forEach(s => s.close()));

  it("counts the client's TIME_WAIT at the remote-port end when the client closes first", async () => {
    const { server: s, port } = await server(false);
    servers.push(s);
    await exchange(port, true);
    expect(await countTcpSockets(port, TCP_STATE.TIME_WAIT, { side: "remote" })).toBe(1);
    expect(await countTcpSockets(port, TCP_STATE.TIME_WAIT)).toBe(1);
    const prefixed = { side: "remote", remoteIpPrefix: "127.0.0." } as const;
    expect(await countTcpSockets(port, TCP_STATE.TIME_WAIT, prefixed)).toBe(1);
    const elsewhere = { side: "remote", remoteIpPrefix: "127.3." } as const;
    expect(await countTcpSockets(port, TCP_STATE.TIME_WAIT, elsewhere)).toBe(0);
  });

  it("leaves the server's own TIME_WAIT out at the remote-port end when the server closes first", async () => {
    const { server: s, port } = await server(true);
    servers.push(s);
    await exchange(port, false);
    expect(await countTcpSockets(port, TCP_STATE.TIME_WAIT, { side: "remote" })).toBe(0);
    expect(await countTcpSockets(port, TCP_STATE.TIME_WAIT)).toBe(1);
  });
});
