// The workload of the cluster benchmark, as data: one node of our own ("bench-node") whose agent
// probes 1,000 pods - 10 SWHs of 100 pods, one TCP probe each every second, failureThreshold 3,
// successThreshold 1 - with pod addresses in the box's pod network (10.<octet>.200-203.x, a range
// H9's allocator leaves alone) where the benchmark's target servers listen.

import { SWH_API_VERSION, SWH_KIND } from "../../api/contract.js";

/** The node whose agent the benchmark measures. */
export const BENCH_NODE = { name: "bench-node", index: 200 } as const;
/** Namespace of the benchmark's SWHs and pods. */
export const BENCH_NAMESPACE = "swh-bench";
/** Port every backend listens on. */
export const BACKEND_PORT = 8080;

/** Probe timing of the workload (the floor of detection is period × failureThreshold). */
export const PROBE = {
  periodSeconds: 1,
  failureThreshold: 3,
  successThreshold: 1,
  timeoutSeconds: 1,
} as const;

/** Size of the workload. */
export interface Workload {
  readonly swhs: number;
  readonly podsPerSwh: number;
}

/** The measured size: 1,000 targets on one agent. */
export const WORKLOAD: Workload = { swhs: 10, podsPerSwh: 100 };

/** One pod: name, the SWH it belongs to, its address. */
export interface BenchPod {
  readonly name: string;
  readonly app: string;
  readonly address: string;
}

/** Pod `k` (0-based) of the workload in pod network `octet`: 250 hosts per /24 from .200.2. */
export function benchPod(k: number, octet: number, workload: Workload = WORKLOAD): BenchPod {
  const swh = Math.floor(k / workload.podsPerSwh);
  const third = BENCH_NODE.index + Math.floor(k / 250);
  return {
    name: `backend-${k}`,
    app: `bench-${swh}`,
    address: `10.${octet}.${third}.${(k % 250) + 2}`,
  };
}

/** Every pod of the workload. */
export function benchPods(octet: number, workload: Workload = WORKLOAD): BenchPod[] {
  return Array.from({ length: workload.swhs * workload.podsPerSwh }, (_, k) =>
    benchPod(k, octet, workload),
  );
}

/** The SWH manifests. */
export function benchSwhs(workload: Workload = WORKLOAD): Record<string, unknown>[] {
  return Array.from({ length: workload.swhs }, (_, i) => ({
    apiVersion: SWH_API_VERSION,
    kind: SWH_KIND,
    metadata: { name: `bench-${i}`, namespace: BENCH_NAMESPACE },
    spec: {
      ports: [{ name: "main", port: 80, targetPort: BACKEND_PORT, protocol: "TCP" }],
      selector: { app: `bench-${i}` },
      healthcheck: {
        initialDelaySeconds: 0,
        periodSeconds: PROBE.periodSeconds,
        probes: [
          {
            mode: "TCP",
            timeoutSeconds: PROBE.timeoutSeconds,
            successThreshold: PROBE.successThreshold,
            failureThreshold: PROBE.failureThreshold,
            tcp: { targetPort: BACKEND_PORT },
          },
        ],
      },
    },
  }));
}

/** `ip -batch` lines adding (or deleting) the pod addresses on the pod side of the veth. */
export function addressBatch(
  pods: readonly BenchPod[],
  device: string,
  action: "add" | "del",
): string {
  return pods.map(p => `addr ${action} ${p.address}/32 dev ${device}\n`).join("");
}

/**
 * Which backends flip in wave `wave`: `count` pods spread over every SWH, a different set each
 * wave (stride through the pod list), so flips hit many slices at once as real failures do.
 */
export function flipSet(wave: number, count: number, total: number): number[] {
  const stride = Math.max(1, Math.floor(total / count));
  return Array.from({ length: count }, (_, j) => (j * stride + wave * 7) % total);
}
