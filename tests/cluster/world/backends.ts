// Backend daemons inside the pod network namespace: `ip netns exec <netns> node backend.mjs`, so
// the servers they run bind pod addresses. Each has a control socket in the world's backend dir
// and is recorded in world.json, so `down` stops it even when a test died before its cleanup.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { BackendClient } from "../backends/client.js";
import { hasExited, logTail, startWorldDaemon, stopDaemon } from "../daemons.js";
import { nodeBinary } from "../layout.js";
import { podNetworkOf, type BackendRecord } from "../state.js";
import type { World } from "./handle.js";
import { updateWorldState } from "./update.js";

/** Starts backend `name` (a workload: `postgres`, `vm`...) and waits for its control socket. */
export async function startBackend(
  world: World,
  name: string,
  bundle: string,
): Promise<BackendClient> {
  if (!/^[a-z0-9-]+$/.test(name))
    throw new Error(`backend name ${JSON.stringify(name)}: use [a-z0-9-]`);
  await mkdir(world.layout.backendDir, { recursive: true });
  const socket = join(world.layout.backendDir, `${name}.sock`);
  const logFile = join(world.layout.logDir, `backend-${name}.log`);
  await stopBackend(world, name);
  const pid = startWorldDaemon({
    command: "ip",
    args: [
      "netns",
      "exec",
      podNetworkOf(world.state).netns,
      nodeBinary(),
      "--enable-source-maps",
      bundle,
      `--socket=${socket}`,
      `--name=${name}`,
    ],
    logFile,
  });
  const record: BackendRecord = { name, pid, logFile, socket };
  await updateWorldState(world.layout, s => ({
    ...s,
    backends: { ...s.backends, [name]: record },
  }));
  const client = new BackendClient(socket);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (hasExited(pid)) {
      throw new Error(`backend ${name} exited; log tail:\n${logTail(logFile, 30)}`);
    }
    if (
      await client.health().then(
        () => true,
        () => false,
      )
    )
      return client;
    await sleep(100);
  }
  throw new Error(`backend ${name} did not answer in 30 s; log tail:\n${logTail(logFile, 30)}`);
}

/** Stops backend `name` (its servers and PostgreSQL nodes go with it). */
export async function stopBackend(world: World, name: string): Promise<void> {
  let record: BackendRecord | undefined;
  await updateWorldState(world.layout, s => {
    record = s.backends[name];
    return {
      ...s,
      backends: Object.fromEntries(Object.entries(s.backends).filter(([key]) => key !== name)),
    };
  });
  if (record) await stopDaemon(record.pid, world.layout.marker, 60_000);
}

/** A client of a running backend, by name. */
export function backendClient(world: World, name: string): BackendClient {
  return new BackendClient(join(world.layout.backendDir, `${name}.sock`));
}
