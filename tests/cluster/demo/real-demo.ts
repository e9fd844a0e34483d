// The demo's examples on real nodes: the seed's PostgreSQL as a StatefulSet `db` (Debian's
// PostgreSQL, db-0 primary, db-1 and db-2 streaming replicas, one pod per node), the VM pod with
// its web and SMTP servers, a client pod, and the seed's four manifests applied verbatim; then the
// switchover with a client writing through `postgres-write` and reading through `postgres-read`
// every 100 ms, so the demo shows the downtime a real client sees beside the probes' timeline.
import type { BackendClient } from "../backends/client.js";
import { applyManifest } from "../scenario/objects.js";
import {
  openRealPostgres,
  startRealPostgres,
  type RealPostgres,
} from "../scenario/real-postgres.js";
import { startRealPods, waitRealPod } from "../scenario/real-pods.js";
import { runClientSwitchover, type ClientSwitchover } from "../scenario/real-switchover.js";
import { readSwitchoverOutcome, writeSwitchoverOutcome } from "../scenario/sql-switchover.js";
import { seedIn } from "../scenario/swh.js";
import { SEED_CREDENTIALS } from "../scenario/workloads.js";
import type { World } from "../world/handle.js";
import { DEMO_NAMESPACE } from "./examples.js";
import { liveView, type Screen } from "./live.js";

/** The VM stand-in's pod, as KubeVirt names a launcher pod. */
const VM_POD = "virt-launcher-my-vm-7xk2p";
/** The client pod writing and reading across the switchover. */
const CLIENT_POD = "client";

/** The running examples on real nodes. */
export interface RealExamples {
  readonly pg: RealPostgres;
  readonly client: BackendClient;
}

/** Sets the examples up on real nodes; `say` narrates each step. */
export async function setUpRealExamples(
  world: World,
  say: (line: string) => void,
): Promise<RealExamples> {
  const ns = DEMO_NAMESPACE;
  await applyManifest(world, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  say(
    `kubectl -n ${ns} create secret generic cred-secret --from-literal=user=${SEED_CREDENTIALS.user} --from-literal=password=...`,
  );
  say("PostgreSQL: StatefulSet db (Debian's PostgreSQL 15), db-0 primary, db-1 and db-2 streaming");
  say("replicas, one pod per node; postgres-read and postgres-write applied verbatim...");
  const pg = await startRealPostgres(world, ns);
  say(`VM: pod ${VM_POD} (vm=my-vm) with a web server on 8080 and SMTP on 2525; a client pod`);
  const pods = await startRealPods(world, [
    {
      name: VM_POD,
      namespace: ns,
      node: "node-1",
      labels: { vm: "my-vm" },
      serve: ["http:web:8080:/healthz", "tcp:smtp:2525"],
    },
    { name: CLIENT_POD, namespace: ns, node: "node-3" },
  ]);
  for (const name of ["web", "smtp"] as const) {
    say(`kubectl -n ${ns} apply -f ${name}.yaml   (the seed's manifest, verbatim)`);
    await applyManifest(world, seedIn(name, ns));
  }
  return { pg, client: pods.get(CLIENT_POD)!.backend };
}

/** The examples of an earlier demo run, to switch over again. */
export async function openRealExamples(world: World): Promise<RealExamples> {
  const pg = await openRealPostgres(world, DEMO_NAMESPACE);
  const { backend } = await waitRealPod(world, DEMO_NAMESPACE, CLIENT_POD);
  return { pg, client: backend };
}

/** The current primary (running, not in recovery) and a replica to promote. */
async function primaryAndReplica(pg: RealPostgres): Promise<{ from: string; to: string }> {
  const roles: { pod: string; running: boolean; inRecovery?: boolean }[] = [];
  for (const [pod, db] of pg.pods) {
    const node = (await db.backend.status()).postgres?.[0];
    roles.push({ pod, running: node?.running ?? false, inRecovery: node?.inRecovery });
  }
  const from = roles.find(r => r.running && r.inRecovery === false)?.pod;
  const to = roles.find(r => r.running && r.inRecovery === true)?.pod;
  if (!from || !to) throw new Error(`no primary/replica pair among ${JSON.stringify(roles)}`);
  return { from, to };
}

/** `12.3 s`. */
const secs = (ms: number | undefined): string =>
  ms === undefined || Number.isNaN(ms) ? "never" : `${(ms / 1000).toFixed(1)} s`;

/** What the client saw, in words. */
function summary(run: ClientSwitchover, from: string, to: string): string[] {
  const write = writeSwitchoverOutcome(run.write, run, { oldPrimary: from, newPrimary: to });
  const read = readSwitchoverOutcome(run.read, run.fenceAt);
  const since = (at: number | undefined): number | undefined =>
    at === undefined ? undefined : at - run.fenceAt;
  return [
    `  ${from} was fenced (stopped) and ${to} promoted ${secs(since(run.promotedAt))} later.`,
    `  The client's first write on ${to} succeeded ${secs(write.firstWriteOnNewPrimaryMs)} after the fence`,
    `  (${write.failedBeforeFirstWrite} failed attempts before it): ${to} joined postgres-write at its next probe.`,
    `  postgres-write dropped ${from} ${secs(since(run.writeServiceSwitchedAt))} after the fence (failureThreshold 3 x`,
    `  periodSeconds 10, the seed's settings); until then ${write.failedAfterFence} of ${write.sentAfterFence} writes failed, each`,
    `  one sent to the stopped ${from}. No write reached a replica.`,
    `  Reads through postgres-read: ${read.failedAfterFence} of ${read.sentAfterFence} failed (those sent to ${from}, which the`,
    "  seed's SELECT 1 probe counts as a reader) until it left. To switch faster, set the probe's",
    "  recheckIntervalMilliseconds (say 1000): after the first failed probe the next ones come that",
    "  often, so the dead primary leaves after about one period plus two re-checks (docs/EXAMPLES.md).",
  ];
}

/** Switches the primary over while the client writes and reads; returns the summary lines. */
export async function realDemoSwitchover(
  world: World,
  screen: Screen,
  ex: RealExamples,
): Promise<string[]> {
  const { from, to } = await primaryAndReplica(ex.pg);
  let finished = false;
  const running = runClientSwitchover(world, {
    pg: ex.pg,
    client: ex.client,
    from,
    to,
    durationMs: 40_000,
    intervalMs: 100,
    fenceAfterMs: 5_000,
  }).finally(() => (finished = true));
  await liveView({
    rest: world.rest,
    screen,
    namespace: DEMO_NAMESPACE,
    title: `Switching the PostgreSQL primary over, ${from} -> ${to}, while a client pod writes through postgres-write and reads through postgres-read every 100 ms (40 s)`,
    footer: () => ["The client's results come when its 40 s loop ends."],
    done: () => finished,
    timeoutMs: 240_000,
  });
  return summary(await running, from, to);
}
