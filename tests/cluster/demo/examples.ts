// The seed's examples, set up in the demo's namespace `my-ns` exactly as a user would: the
// credentials Secret as `kubectl create secret generic` makes it, the PostgreSQL StatefulSet's
// pods db-0..2 with a real primary and two streaming replicas, the VM pod with its web and SMTP
// servers, and the four ServiceWithHealthchecks manifests from the seed, applied verbatim.
import type { World } from "../world/handle.js";
import type { Artefacts } from "../builds.js";
import { applyManifest, deleteNamespace, genericSecret, inNamespace } from "../scenario/objects.js";
import { seedManifest } from "../scenario/swh.js";
import {
  SEED_CREDENTIALS,
  startPostgresWorkload,
  startVmWorkload,
  type PostgresWorkload,
  type VmWorkload,
} from "../scenario/workloads.js";
import { stopBackend } from "../world/backends.js";

/** The seed's namespace. */
export const DEMO_NAMESPACE = "my-ns";

/** The running examples. */
export interface Examples {
  readonly postgres: PostgresWorkload;
  readonly vm: VmWorkload;
}

/** Removes examples left by an earlier demo run (their namespace and backends). */
export async function removeExamples(world: World): Promise<void> {
  for (const name of Object.keys(world.state.backends)) await stopBackend(world, name);
  await deleteNamespace(world, DEMO_NAMESPACE, 120_000);
}

/** Sets the examples up; `say` narrates each step. */
export async function setUpExamples(
  world: World,
  artefacts: Artefacts,
  say: (line: string) => void,
): Promise<Examples> {
  const ns = DEMO_NAMESPACE;
  await applyManifest(world, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  say(
    `kubectl -n ${ns} create secret generic cred-secret --from-literal=user=${SEED_CREDENTIALS.user} --from-literal=password=...`,
  );
  await applyManifest(world, genericSecret(ns, "cred-secret", SEED_CREDENTIALS));
  say(
    "PostgreSQL: StatefulSet db, pods db-0 (primary), db-1 and db-2 (streaming replicas), one per node",
  );
  const postgres = await startPostgresWorkload(world, ns, {
    backendBundle: artefacts.backendBundle,
  });
  say("VM: pod virt-launcher-my-vm-7xk2p (vm=my-vm) with a web server on 8080 and SMTP on 2525");
  const vm = await startVmWorkload(world, ns, { backendBundle: artefacts.backendBundle });
  for (const name of ["postgres-read", "postgres-write", "web", "smtp"] as const) {
    say(`kubectl -n ${ns} apply -f ${name}.yaml   (the seed's manifest, verbatim)`);
    await applyManifest(world, inNamespace(seedManifest(name), ns));
  }
  return { postgres, vm };
}
