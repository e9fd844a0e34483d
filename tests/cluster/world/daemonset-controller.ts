// The rollout stand-in for the module's agent DaemonSet: the box has no kubelet and no DaemonSet
// controller, so this plays both for the one DaemonSet whose pods are processes (the agents).
// It watches `d8-service-with-healthchecks/agent`; when the pod template changes (a settings
// change re-rendered the chart) it replaces the agents the way the DaemonSet's RollingUpdate
// would — at most maxUnavailable at a time, each old agent stopped gracefully, the new one started
// with the new arguments and waited for on /readyz before the next — and it keeps the
// DaemonSet's status (observedGeneration, desired/current/updated/ready/available numbers)
// through the status subresource, so `kubectl rollout status`-like checks work. It also starts
// agents for nodes that have none, and stops them on nodes the nodeSelector no longer picks or
// when the DaemonSet is gone (module disabled). A dead agent is not resurrected: no kubelet runs,
// and in the box a dead agent stands for a node that is down (see planRollout).
import { MODULE_NAMESPACE } from "../../../api/contract.js";
import { describeError, Reflector, type KubeRest } from "swh-kube-client";
import type { Logger } from "../../../images/agent/src/log.js";
import { withLock } from "../../testenv/lock.js";
import type { WorldLayout } from "../layout.js";
import { readWorldState, type AgentRecord } from "../state.js";
import {
  AGENT_DAEMONSET,
  AGENT_DAEMONSET_PATH,
  agentKubeconfig,
  waitAgentReady,
} from "./agents.js";
import {
  daemonSetStatus,
  daemonSetView,
  isEmptyStep,
  planRollout,
  sameStatus,
  type DaemonSetJson,
  type DaemonSetView,
} from "./daemonset-plan.js";
import { desiredNodes, executeStep, observeAgents } from "./daemonset-step.js";
import { markAgentReady } from "./update.js";

/** Options of the rollout stand-in. */
export interface DaemonSetControllerOptions {
  readonly layout: WorldLayout;
  /** A client allowed to read the DaemonSet and Nodes and write the DaemonSet's status. */
  readonly rest: KubeRest;
  /** build/agent/agent.mjs. */
  readonly agentBundle: string;
  readonly log: Logger;
  /** How often agents are looked at without a DaemonSet event (default 2000 ms). */
  readonly resyncMs?: number;
  /** How long a started agent may take to answer /readyz (default 90 s). */
  readonly readyTimeoutMs?: number;
}

const DAEMONSET_KEY = `${MODULE_NAMESPACE}/${AGENT_DAEMONSET}`;
/** What the stand-in uses while the DaemonSet is absent: no node wants an agent. */
const ABSENT: DaemonSetView = {
  generation: 0,
  templateHash: "",
  args: [],
  nodeSelector: {},
  strategy: "RollingUpdate",
  maxUnavailable: 1,
  terminationGraceMs: 30_000,
};

/** The agent DaemonSet's controller and kubelet, for processes (see file header). */
export class AgentDaemonSetController {
  readonly #o: DaemonSetControllerOptions;
  readonly #reflector: Reflector<DaemonSetJson>;
  #kubeconfig: string | undefined;
  #kicked = true;
  #wake: (() => void) | undefined;
  #stopped = false;
  #running: Promise<void> | undefined;

  constructor(options: DaemonSetControllerOptions) {
    this.#o = options;
    this.#reflector = new Reflector<DaemonSetJson>({
      name: "agent-daemonset",
      rest: options.rest,
      resource: "daemonsets",
      path: `/apis/apps/v1/namespaces/${MODULE_NAMESPACE}/daemonsets`,
      fieldSelector: `metadata.name=${AGENT_DAEMONSET}`,
      transform: raw => raw as DaemonSetJson,
      relistIntervalMs: 5 * 60_000,
      log: options.log,
    });
    this.#reflector.on(() => this.#kick());
  }

  /** Starts watching the DaemonSet and acting on it. */
  start(): void {
    this.#reflector.start();
    this.#running ??= this.#loop();
  }

  /** Stops acting (agents keep running, as pods outlive a stopped controller). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#reflector.stop();
    await this.#running;
  }

  #kick(): void {
    this.#kicked = true;
    this.#wake?.();
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      this.#kicked = false;
      let acted = false;
      try {
        acted = await this.#sync();
      } catch (err) {
        this.#o.log.error("sync failed; retrying", { error: describeError(err) });
      }
      if (!acted) await this.#pause(this.#o.resyncMs ?? 2_000);
    }
  }

  /** Waits `ms`, or less when the DaemonSet changed meanwhile. */
  #pause(ms: number): Promise<void> {
    if (this.#kicked || this.#stopped) return Promise.resolve();
    return new Promise(resolve => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  /** One reconciliation: a rollout step if one is due, then the status; true when it acted. */
  async #sync(): Promise<boolean> {
    if (!this.#reflector.synced) return false;
    const state = await readWorldState(this.#o.layout.stateFile);
    if (!state) return false;
    const ds = this.#reflector.get(DAEMONSET_KEY);
    const view = ds ? daemonSetView(ds) : ABSENT;
    const desired = ds ? await desiredNodes(this.#o.rest, view, state.nodes) : [];
    const started = await withLock(this.#o.layout.lockFile, 15 * 60_000, () =>
      this.#step(view, desired),
    );
    for (const record of started ?? []) await this.#awaitReady(record);
    // The newest cached status, so a status this process wrote a moment ago is not rewritten.
    const latest = this.#reflector.get(DAEMONSET_KEY);
    if (latest) await this.#writeStatus(latest, view, desired);
    return started !== undefined;
  }

  /** Plans and executes one step under the world lock; undefined when there is nothing to do. */
  async #step(view: DaemonSetView, desired: readonly string[]): Promise<AgentRecord[] | undefined> {
    const state = await readWorldState(this.#o.layout.stateFile);
    if (!state) return undefined;
    const agents = await observeAgents(state, this.#o.layout.marker);
    const step = planRollout({ view, desired, agents });
    if (isEmptyStep(step)) return undefined;
    this.#o.log.info("rollout step", {
      generation: view.generation,
      templateHash: view.templateHash,
      ...step,
    });
    const { started } = await executeStep(
      {
        layout: this.#o.layout,
        agentBundle: this.#o.agentBundle,
        kubeconfig: async () => (this.#kubeconfig ??= await agentKubeconfig(this.#o)),
        log: (msg, fields) => this.#o.log.info(msg, fields),
      },
      state,
      step,
      view,
    );
    return started;
  }

  /** Waits for a started agent's /readyz and records when it answered. */
  async #awaitReady(record: AgentRecord): Promise<void> {
    try {
      await waitAgentReady(record, this.#o.layout.marker, this.#o.readyTimeoutMs ?? 90_000);
    } catch (err) {
      this.#o.log.warn("a started agent did not become ready", {
        node: record.node,
        error: describeError(err),
      });
      return;
    }
    await markAgentReady(this.#o.layout, record);
    this.#o.log.info("agent ready", { node: record.node, pid: record.pid });
  }

  /** Writes the DaemonSet's status when it differs from what the API server holds. */
  async #writeStatus(
    ds: DaemonSetJson,
    view: DaemonSetView,
    desired: readonly string[],
  ): Promise<void> {
    const state = await readWorldState(this.#o.layout.stateFile);
    if (!state) return;
    const agents = await observeAgents(state, this.#o.layout.marker);
    const status = daemonSetStatus({ view, desired, agents });
    if (sameStatus(ds.status, status)) return;
    await this.#o.rest.request({
      verb: "patch",
      resource: "daemonsets",
      path: `${AGENT_DAEMONSET_PATH}/status`,
      contentType: "application/merge-patch+json",
      body: { status },
    });
    this.#o.log.info("status written", { ...status });
  }
}
