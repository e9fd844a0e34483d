// Reading ServiceWithHealthchecks objects in scenarios: the object, a condition, one pod's
// endpoint status, and the seed manifests placed in a scenario's namespace.
import { SWH_API_VERSION, SWH_PLURAL } from "../../../api/contract.js";
import type { Condition, EndpointStatus, ServiceWithHealthchecks } from "../../../api/v1alpha1.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { getOrUndefined } from "../kube.js";
import { repoRoot } from "../layout.js";
import type { World } from "../world/handle.js";
import { inNamespace, type Manifest } from "./objects.js";

/** Path of an SWH. */
export function swhPath(namespace: string, name: string): string {
  return `/apis/${SWH_API_VERSION}/namespaces/${namespace}/${SWH_PLURAL}/${name}`;
}

/** Reads an SWH; undefined when absent. */
export function getSwh(
  world: World,
  namespace: string,
  name: string,
): Promise<ServiceWithHealthchecks | undefined> {
  return getOrUndefined<ServiceWithHealthchecks>(world.rest, swhPath(namespace, name));
}

/** A status condition by type. */
export function conditionOf(
  swh: ServiceWithHealthchecks | undefined,
  type: string,
): Condition | undefined {
  return swh?.status?.conditions?.find(c => c.type === type);
}

/** The status entry of one pod. */
export function endpointStatusOf(
  swh: ServiceWithHealthchecks | undefined,
  pod: string,
): EndpointStatus | undefined {
  return swh?.status?.endpointStatuses?.find(e => e.podName === pod);
}

/** A seed manifest (tests/fixtures/manifests/seed/<name>.yaml, seed 000's text verbatim). */
export function seedManifest(name: "postgres-read" | "postgres-write" | "web" | "smtp"): Manifest {
  const file = join(repoRoot(), "tests", "fixtures", "manifests", "seed", `${name}.yaml`);
  return parse(readFileSync(file, "utf8")) as Manifest;
}

/** A seed manifest in `namespace` (what `kubectl -n <namespace> apply -f` does; the seed's
 * VM manifests name `my-ns`, replaced here so every scenario has a namespace of its own). */
export function seedIn(name: Parameters<typeof seedManifest>[0], namespace: string): Manifest {
  return inNamespace(seedManifest(name), namespace);
}
