// Desired state, as a pure function of the informer caches: for every SWH the agent publishes,
// one endpoint per candidate pod of this node per address family, with its ports resolved for
// that pod, and one probe worker per (probe, address). The scheduler runs the workers; the slice
// builder turns endpoints plus probe states into EndpointSlices. Per-pod problems (an unknown
// named port, a missing Secret) never stop the others: they become failures on that endpoint.

import type { ProbeFailure } from "../../../../api/contract.js";
import type { ServicePort } from "../../../../api/v1alpha1.js";
import type { WorkerSpec } from "../scheduler/types.js";
import { drains } from "./drain.js";
import { buildProbe, probeName, probeTiming, type CredentialsLookup } from "./probes.js";
import {
  addressesByFamily,
  isCandidate,
  resolveTargetPort,
  selectorMatches,
  type AddressFamily,
  type PodSnapshot,
} from "./pods.js";
import { referencedSecrets, shouldPublish, type AgentSwh } from "./swh.js";

/** A Service port resolved for one pod: an EndpointSlice port. */
export interface ResolvedPort {
  readonly name: string;
  readonly protocol: string;
  readonly appProtocol?: string;
  readonly port: number;
}

/** One runnable probe of an endpoint: the worker key and its `mode:ip:port` name. */
export interface EndpointProbe {
  readonly workerKey: string;
  readonly name: string;
}

/** One endpoint the agent should publish (before probe states are known). */
export interface DesiredEndpoint {
  /** `swhUid|podUid|address`: stable identity across recomputations and restarts. */
  readonly key: string;
  readonly pod: { readonly name: string; readonly namespace: string; readonly uid: string };
  readonly address: string;
  readonly family: AddressFamily;
  /** Service ports that resolved for this pod (unresolvable ones are left out, as k8s does). */
  readonly ports: readonly ResolvedPort[];
  readonly podReady: boolean;
  readonly terminating: boolean;
  /** Probes with a worker; their states decide readiness. */
  readonly probes: readonly EndpointProbe[];
  /** Problems known without probing (unresolvable ports, missing sections, pending Secrets). */
  readonly failures: readonly ProbeFailure[];
  /** The SWH defines probes (without any, pod readiness decides, like a plain Service). */
  readonly hasProbes: boolean;
  /** spec.healthcheck.requirePodReady. */
  readonly requirePodReady: boolean;
  /** The pod's drain annotation names this SWH (desired/drain.ts); absent when not. */
  readonly drained?: true;
}

/** The desired endpoints of one published SWH on this node. */
export interface SwhDesired {
  readonly swh: AgentSwh;
  readonly publishNotReadyAddresses: boolean;
  readonly endpoints: readonly DesiredEndpoint[];
}

/** Everything the agent wants, computed from its caches. */
export interface DesiredState {
  /** Published SWHs by uid (SWHs with a conflict or being deleted are absent: withdraw). */
  readonly swhs: ReadonlyMap<string, SwhDesired>;
  /** Every probe worker, keyed `swhUid|podUid|address|probeIndex`. */
  readonly workers: readonly WorkerSpec[];
  /** `namespace/name` of every Secret a worker on this node needs. */
  readonly secrets: ReadonlySet<string>;
}

/** Inputs of computeDesired. */
export interface DesiredInput {
  readonly swhs: Iterable<AgentSwh>;
  readonly pods: Iterable<PodSnapshot>;
  /** Credentials of Secret `name` in `namespace`; "pending" until it has been read. */
  readonly credentials: (namespace: string, name: string) => ReturnType<CredentialsLookup>;
  /** Adopted health of a worker after a restart (from the published slice), if any. */
  readonly adoptedHealthy?: (workerKey: string, probeName: string) => boolean | undefined;
}

/** Worker key of probe `index` of `address` of `pod` under `swh`. */
export function workerKey(swhUid: string, podUid: string, address: string, index: number): string {
  return `${swhUid}|${podUid}|${address}|${index}`;
}

/** The SWH uid a worker key belongs to. */
export function swhUidOfWorkerKey(key: string): string {
  const bar = key.indexOf("|");
  return bar < 0 ? key : key.slice(0, bar);
}

/** The probed address of a worker key. */
export function addressOfWorkerKey(key: string): string {
  return key.split("|")[2] ?? "";
}

/** The endpoint key (`swhUid|podUid|address`) a worker key belongs to. */
export function endpointKeyOfWorkerKey(key: string): string {
  const last = key.lastIndexOf("|");
  return last < 0 ? key : key.slice(0, last);
}

function resolvePorts(
  ports: readonly ServicePort[],
  pod: PodSnapshot,
): { ports: ResolvedPort[]; failures: ProbeFailure[] } {
  const resolved: ResolvedPort[] = [];
  const failures: ProbeFailure[] = [];
  for (const sp of ports) {
    const protocol = sp.protocol ?? "TCP";
    const r = resolveTargetPort(pod, sp.targetPort, sp.port, protocol);
    if ("error" in r) {
      failures.push({ probe: `ServicePort:${sp.name ?? sp.port}`, reason: r.error });
      continue;
    }
    resolved.push({
      name: sp.name ?? "",
      protocol,
      ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}),
      port: r.port,
    });
  }
  return { ports: resolved, failures };
}

interface EndpointBuild {
  endpoint: DesiredEndpoint;
  workers: WorkerSpec[];
}

/** One address of one pod under one SWH. */
interface EndpointTarget {
  readonly swh: AgentSwh;
  readonly pod: PodSnapshot;
  readonly family: AddressFamily;
  readonly address: string;
}

function buildEndpoint(target: EndpointTarget, input: DesiredInput): EndpointBuild {
  const { swh, pod, family, address } = target;
  const healthcheck = swh.spec.healthcheck ?? {};
  const probeList = healthcheck.probes ?? [];
  const { ports, failures } = resolvePorts(swh.spec.ports ?? [], pod);
  const lookup: CredentialsLookup = name => input.credentials(swh.namespace, name);
  const probes: EndpointProbe[] = [];
  const workers: WorkerSpec[] = [];
  probeList.forEach((probe, index) => {
    const built = buildProbe(probe, pod, address, lookup);
    if ("failure" in built) {
      failures.push(built.failure);
      return;
    }
    const key = workerKey(swh.uid, pod.uid, address, index);
    const name = probeName(address, built.spec);
    const adopted = input.adoptedHealthy?.(key, name);
    probes.push({ workerKey: key, name });
    workers.push({
      key,
      address,
      probe: built.spec,
      ...probeTiming(probe, healthcheck),
      ...(pod.startedAtMs === undefined ? {} : { podStartedAt: new Date(pod.startedAtMs) }),
      ...(adopted === undefined ? {} : { initialHealthy: adopted }),
    });
  });
  const endpoint: DesiredEndpoint = {
    key: `${swh.uid}|${pod.uid}|${address}`,
    pod: { name: pod.name, namespace: pod.namespace, uid: pod.uid },
    address,
    family,
    ports,
    podReady: pod.ready,
    terminating: pod.terminating,
    probes,
    failures,
    hasProbes: probeList.length > 0,
    requirePodReady: healthcheck.requirePodReady === true,
    ...(drains(pod.drainFrom, swh.name) ? { drained: true as const } : {}),
  };
  return { endpoint, workers };
}

function podsByNamespace(pods: Iterable<PodSnapshot>): Map<string, PodSnapshot[]> {
  const out = new Map<string, PodSnapshot[]>();
  for (const pod of pods) {
    if (!isCandidate(pod)) continue;
    const list = out.get(pod.namespace);
    if (list) list.push(pod);
    else out.set(pod.namespace, [pod]);
  }
  for (const list of out.values()) list.sort((a, b) => (a.name < b.name ? -1 : 1));
  return out;
}

function endpointsOf(
  swh: AgentSwh,
  namespacePods: readonly PodSnapshot[],
  input: DesiredInput,
): { endpoints: DesiredEndpoint[]; workers: WorkerSpec[] } {
  const endpoints: DesiredEndpoint[] = [];
  const workers: WorkerSpec[] = [];
  for (const pod of namespacePods) {
    if (!selectorMatches(swh.spec.selector, pod.labels)) continue;
    for (const [family, address] of addressesByFamily(pod)) {
      if (swh.families && !swh.families.includes(family)) continue;
      const built = buildEndpoint({ swh, pod, family, address }, input);
      endpoints.push(built.endpoint);
      workers.push(...built.workers);
    }
  }
  return { endpoints, workers };
}

/**
 * Computes the desired endpoints and probe workers of this node. Deterministic: the same caches
 * give the same output in the same order.
 */
export function computeDesired(input: DesiredInput): DesiredState {
  const candidates = podsByNamespace(input.pods);
  const swhs = new Map<string, SwhDesired>();
  const workers: WorkerSpec[] = [];
  const secrets = new Set<string>();
  for (const swh of input.swhs) {
    if (!shouldPublish(swh)) continue;
    const built = endpointsOf(swh, candidates.get(swh.namespace) ?? [], input);
    workers.push(...built.workers);
    if (built.endpoints.length > 0) {
      for (const name of referencedSecrets(swh)) secrets.add(`${swh.namespace}/${name}`);
    }
    swhs.set(swh.uid, {
      swh,
      publishNotReadyAddresses: swh.spec.publishNotReadyAddresses === true,
      endpoints: built.endpoints,
    });
  }
  return { swhs, workers, secrets };
}
