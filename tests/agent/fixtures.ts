// Builders for the agent's unit tests: raw Pods, SWHs and Secrets as the API server returns them,
// and their snapshots. Each builder takes overrides so a test row states only what it is about.

import type { ServiceWithHealthchecks, ServiceWithHealthchecksSpec } from "../../api/v1alpha1.js";
import { podSnapshot, type PodSnapshot } from "../../images/agent/src/desired/pods.js";
import { toAgentSwh, type AgentSwh } from "../../images/agent/src/desired/swh.js";
import type { RawPod } from "swh-kube-client";
import type { ProbeState } from "../../images/agent/src/scheduler/types.js";
import { computeDesired } from "../../images/agent/src/desired/endpoints.js";
import { evaluateEndpoint } from "../../images/agent/src/desired/readiness.js";
import type { EvaluatedEndpoint } from "../../images/agent/src/slices/build.js";

export const NODE = "node-a";

export interface PodOptions {
  name: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ips?: string[];
  phase?: string;
  ready?: boolean;
  deleting?: boolean;
  startTime?: string;
  ports?: Array<{ name?: string; containerPort: number; protocol?: string }>;
  sidecarPorts?: Array<{ name?: string; containerPort: number; protocol?: string }>;
}

/** A raw Pod on NODE. */
export function rawPod(o: PodOptions): RawPod {
  const ips = o.ips ?? ["10.0.0.1"];
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: o.name,
      namespace: o.namespace ?? "ns",
      uid: o.uid ?? `uid-${o.name}`,
      resourceVersion: "1",
      labels: o.labels ?? { app: "db" },
      ...(o.annotations ? { annotations: o.annotations } : {}),
      ...(o.deleting ? { deletionTimestamp: "2024-01-01T00:00:00Z" } : {}),
    },
    spec: {
      nodeName: NODE,
      containers: [{ name: "main", ports: o.ports ?? [] }],
      ...(o.sidecarPorts
        ? { initContainers: [{ name: "side", restartPolicy: "Always", ports: o.sidecarPorts }] }
        : {}),
    },
    status: {
      phase: o.phase ?? "Running",
      ...(ips.length > 0 ? { podIP: ips[0], podIPs: ips.map(ip => ({ ip })) } : {}),
      startTime: o.startTime ?? "2024-01-01T00:00:00Z",
      conditions: [{ type: "Ready", status: o.ready === false ? "False" : "True" }],
    },
  };
}

/** A PodSnapshot built through the real filter. */
export function pod(o: PodOptions): PodSnapshot {
  const snap = podSnapshot(rawPod(o));
  if (!snap) throw new Error("fixture pod has no identity");
  return snap;
}

export interface SwhOptions {
  name?: string;
  namespace?: string;
  uid?: string;
  spec?: Partial<ServiceWithHealthchecksSpec>;
  conflict?: boolean;
  deleting?: boolean;
  clusterIPs?: string[];
}

/** A raw SWH: selector app=db, port 5432, one TCP probe on 5432 unless overridden. */
export function rawSwh(o: SwhOptions = {}): ServiceWithHealthchecks {
  return {
    apiVersion: "network.deckhouse.io/v1alpha1",
    kind: "ServiceWithHealthchecks",
    metadata: {
      name: o.name ?? "db",
      namespace: o.namespace ?? "ns",
      uid: o.uid ?? `swh-${o.name ?? "db"}`,
      resourceVersion: "1",
      ...(o.deleting ? { deletionTimestamp: "2024-01-01T00:00:00Z" } : {}),
    },
    spec: {
      ports: [{ port: 5432, protocol: "TCP", targetPort: 5432 }],
      selector: { app: "db" },
      healthcheck: { probes: [{ mode: "TCP", tcp: { targetPort: 5432 } }] },
      ...o.spec,
    },
    status: {
      ...(o.clusterIPs ? { clusterIPs: o.clusterIPs } : {}),
      conditions: o.conflict
        ? [
            {
              type: "ChildServiceReady",
              status: "False",
              reason: "ChildServiceConflict",
              message: "Service ns/db is not ours",
              lastTransitionTime: "2024-01-01T00:00:00Z",
            },
          ]
        : [],
    },
  };
}

/** An AgentSwh built through the real filter. */
export function swh(o: SwhOptions = {}): AgentSwh {
  const snap = toAgentSwh(rawSwh(o));
  if (!snap) throw new Error("fixture SWH has no identity");
  return snap;
}

/** base64 of a UTF-8 string, as Secret data holds it. */
export function b64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

/** A thresholded probe state. */
export function probeState(healthy: boolean, reason = "", known = true): ProbeState {
  return { healthy, known, reason, since: new Date("2024-01-01T00:00:00Z") };
}

/** Evaluated endpoints of `swhs` over `pods`, every probe in state `healthy`. */
export function evaluated(
  s: AgentSwh,
  pods: PodSnapshot[],
  healthy: (workerKey: string) => boolean = () => true,
): EvaluatedEndpoint[] {
  const d = computeDesired({ swhs: [s], pods, credentials: () => ({ error: "no Secret" }) });
  const sd = d.swhs.get(s.uid);
  if (!sd) return [];
  return sd.endpoints.map(endpoint => ({
    endpoint,
    verdict: evaluateEndpoint(
      endpoint,
      key => probeState(healthy(key)),
      sd.publishNotReadyAddresses,
    ),
    lastTransitionTime: "2024-01-01T00:00:00.000Z",
  }));
}

/** `count` pods of app=db with distinct IPv4 addresses (and IPv6 ones when `dualStack`). */
export function manyPods(count: number, dualStack = false): PodSnapshot[] {
  return Array.from({ length: count }, (_, i) => {
    const v4 = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const v6 = `fd00::${i.toString(16)}`;
    return pod({ name: `db-${String(i).padStart(5, "0")}`, ips: dualStack ? [v4, v6] : [v4] });
  });
}
