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

/** TIME_WAIT counts on `port` by filter, before and after `exchange`: the change in each. */
async function timeWaitsAdded(
  port: number,
  exchange: () => Promise<void>,
): Promise<Record<"either" | "remote" | "fromLoopback" | "from1273", number>> {
  const filters = {
    either: {},
    remote: { side: "remote" },
    fromLoopback: { side: "remote", remoteIpPrefix: "127.0.0." },
    from1273: { side: "remote", remoteIpPrefix: "127.3." },
  } as const;
  const count = async (): Promise<number[]> =>
    Promise.all(Object.values(filters).map(f => countTcpSockets(port, TCP_STATE.TIME_WAIT, f)));
  const before = await count();
  await exchange();
  const after = await count();
  const keys = Object.keys(filters) as Array<keyof typeof filters>;
  return Object.fromEntries(keys.map((k, i) => [k, (after[i] ?? 0) - (before[i] ?? 0)])) as Record<
    keyof typeof filters,
    number
  >;
}

// Counted as changes, so a TIME_WAIT some earlier test left on a reused port does not count.
describe("countTcpSockets", () => {
  const servers: Server[] = [];
  afterAll(() => servers.forEach(s => s.close()));

  it("counts the client's TIME_WAIT at the remote-port end when the client closes first", async () => {
    const { server: s, port } = await server(false);
    servers.push(s);
    expect(await timeWaitsAdded(port, () => exchange(port, true))).toEqual({
      either: 1,
      remote: 1,
      fromLoopback: 1,
      from1273: 0,
    });
  });

  it("leaves the server's own TIME_WAIT out at the remote-port end when the server closes first", async () => {
    const { server: s, port } = await server(true);
    servers.push(s);
    expect(await timeWaitsAdded(port, () => exchange(port, false))).toEqual({
      either: 1,
      remote: 0,
      fromLoopback: 0,
      from1273: 0,
    });
  });
});
