// The agent's three core informers: the ServiceWithHealthchecks of the cluster, the pods of its
// node and its own EndpointSlices (labelled with its node). The agent writes nothing before all
// three have synced.

import { LABEL_MANAGED_BY, LABEL_NODE_NAME, MANAGED_BY_VALUE } from "../../../api/contract.js";
import type { AgentConfig } from "./config.js";
import { podSnapshot, type PodSnapshot } from "./desired/pods.js";
import { toAgentSwh, type AgentSwh } from "./desired/swh.js";
import {
  sleep,
  isRecord,
  type RawEndpointSlice,
  Reflector,
  type ReflectorObserver,
  type KubeRest,
} from "swh-kube-client";
import type { Logger } from "./log.js";
import { nodeLabelValue } from "./slices/build.js";

const SWH_PATH = "/apis/network.deckhouse.io/v1alpha1/servicewithhealthchecks";

/** SWHs, this node's pods and this node's slices (see file header). */
export class AgentInformers {
  readonly swhs: Reflector<AgentSwh>;
  readonly pods: Reflector<PodSnapshot>;
  readonly slices: Reflector<RawEndpointSlice>;
  readonly #log: Logger;

  constructor(config: AgentConfig, rest: KubeRest, log: Logger, observer: ReflectorObserver) {
    this.#log = log;
    const common = { rest, relistIntervalMs: config.resyncIntervalMs, observer };
    this.swhs = new Reflector({
      ...common,
      name: "servicewithhealthchecks",
      resource: "servicewithhealthchecks",
      path: SWH_PATH,
      transform: toAgentSwh,
      log: log.child({ informer: "servicewithhealthchecks" }),
    });
    this.pods = new Reflector({
      ...common,
      name: "pods",
      resource: "pods",
      path: "/api/v1/pods",
      fieldSelector: `spec.nodeName=${config.nodeName}`,
      transform: podSnapshot,
      log: log.child({ informer: "pods" }),
    });
    const nodeLabel = nodeLabelValue(config.nodeName);
    this.slices = new Reflector({
      ...common,
      name: "endpointslices",
      resource: "endpointslices",
      path: "/apis/discovery.k8s.io/v1/endpointslices",
      labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE},${LABEL_NODE_NAME}=${nodeLabel}`,
      transform: raw => (isRecord(raw) ? (raw as unknown as RawEndpointSlice) : undefined),
      log: log.child({ informer: "endpointslices" }),
    });
  }

  start(): void {
    for (const r of [this.swhs, this.pods, this.slices]) r.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.swhs, this.pods, this.slices].map(r => r.stop()));
  }

  /** Names of the informers that have not synced yet. */
  unsynced(): string[] {
    const informers: Array<[string, { readonly synced: boolean }]> = [
      ["servicewithhealthchecks", this.swhs],
      ["pods", this.pods],
      ["endpointslices", this.slices],
    ];
    return informers.filter(([, r]) => !r.synced).map(([name]) => name);
  }

  /** Waits until all have synced (or `signal` aborts), warning every 10 s. */
  async waitForSync(signal: AbortSignal, now: () => number): Promise<void> {
    let lastLog = now();
    while (!signal.aborted && this.unsynced().length > 0) {
      await sleep(50, signal);
      if (now() - lastLog >= 10_000) {
        lastLog = now();
        this.#log.warn("waiting for informers to sync", { pending: this.unsynced() });
      }
    }
  }
}
