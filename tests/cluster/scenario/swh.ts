// Reading ServiceWithHealthchecks objects in scenarios: the object, a condition, one pod's
// endpoint status, and the seed manifests placed in a scenario's namespace.
import { SWH_API_VERSION, SWH_KIND, SWH_PLURAL } from "../../../api/contract.js";
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

/** How httpSwh probes. */
export interface HttpSwhOptions {
  /** The pods' `app` label (default: the SWH's name). */
  readonly app?: string;
  readonly periodSeconds?: number;
  /** The probe's failureThreshold (default: the CRD's, 3). */
  readonly failureThreshold?: number;
  /** More `spec` fields (trafficDistribution, say). */
  readonly spec?: Readonly<Record<string, unknown>>;
}

/**
 * The scenarios' usual ServiceWithHealthchecks: pods labelled app=<app>, port 80 to 8080, an HTTP
 * probe of /healthz on 8080 every `periodSeconds` (default 1) from the start.
 */
export function httpSwh(namespace: string, name: string, opts: HttpSwhOptions = {}): Manifest {
  const threshold = opts.failureThreshold ? { failureThreshold: opts.failureThreshold } : {};
  return {
    apiVersion: SWH_API_VERSION,
    kind: SWH_KIND,
    metadata: { name, namespace },
    spec: {
      selector: { app: opts.app ?? name },
      ports: [{ port: 80, targetPort: 8080 }],
      ...opts.spec,
      healthcheck: {
        initialDelaySeconds: 0,
        periodSeconds: opts.periodSeconds ?? 1,
        probes: [{ mode: "HTTP", ...threshold, http: { targetPort: 8080, path: "/healthz" } }],
      },
    },
  };
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
