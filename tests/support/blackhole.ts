// A listening TCP port whose accept queue is full, so new connection attempts get no answer at
// all: the kernel drops their SYNs and the client's connect times out. This is the realistic
// shape of a hung or overloaded server, and the only way to make a loopback connect time out.
// Node.js always accepts on a listening socket, so the listener is a tiny python3 process that
// listens with a backlog of 0, never accepts, and fills its own queue.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";

const SCRIPT = `
import socket, sys, time
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind((sys.argv[1], 0))
server.listen(0)
fillers = []
for _ in range(4):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setblocking(False)
    try:
        c.connect(server.getsockname())
    except BlockingIOError:
        pass
    fillers.append(c)
time.sleep(0.2)
print(server.getsockname()[1], flush=True)
sys.stdin.read()
`;

/** A port that never completes a handshake; `close()` ends the helper process. */
export interface Blackhole {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Whether python3 is available to run the helper. */
export function blackholeAvailable(): boolean {
  return spawnSync("python3", ["-c", "pass"]).status === 0;
}

/** Starts the helper on `host` (an IPv4 loopback address). */
export async function startBlackhole(host = "127.0.0.1"): Promise<Blackhole> {
  const child: ChildProcess = spawn("python3", ["-c", SCRIPT, host], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const [line] = (await once(child.stdout!, "data")) as [Buffer];
  const port = Number.parseInt(line.toString("utf8").trim(), 10);
  if (!Number.isInteger(port) || port <= 0) {
    child.kill("SIGKILL");
    throw new Error(`blackhole helper printed no port: ${line.toString("utf8")}`);
  }
  return {
    host,
    port,
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, "exit");
      child.stdin?.end();
      child.kill("SIGTERM");
      await exited;
    },
  };
}
