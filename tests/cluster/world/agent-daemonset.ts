// The agent DaemonSet the module's Helm release renders, as the harness reads it: its generation
// (what a rollout waits for) and the agent container's arguments (where the module's settings
// land as flags).
import type { KubeRest } from "swh-kube-client";
import { getOrUndefined } from "../kube.js";

/** The DaemonSet's path. */
export const AGENT_DAEMONSET_PATH =
  "/apis/apps/v1/namespaces/d8-service-with-healthchecks/daemonsets/agent";

/** The agent container's name in the pod template. */
export const AGENT_CONTAINER = "agent";

/** The fields of a DaemonSet the harness reads. */
export interface DaemonSetJson {
  readonly metadata?: { readonly generation?: number };
  readonly spec?: {
    readonly template?: {
      readonly spec?: {
        readonly containers?: readonly { readonly name: string; readonly args?: string[] }[];
      };
    };
  };
  /** The DaemonSet controller's counts (`observedGeneration`, `numberAvailable`, ...). */
  readonly status?: Readonly<Record<string, number>>;
}

/** What a settings change shows in the DaemonSet. */
export interface AgentDaemonSetView {
  readonly generation: number;
  readonly args: readonly string[];
}

/** The DaemonSet; undefined until the release created it. */
export function agentDaemonSet(rest: KubeRest): Promise<DaemonSetJson | undefined> {
  return getOrUndefined<DaemonSetJson>(rest, AGENT_DAEMONSET_PATH);
}

/** Its generation and the agent container's arguments. */
export function agentDaemonSetView(ds: DaemonSetJson): AgentDaemonSetView {
  const agent = ds.spec?.template?.spec?.containers?.find(c => c.name === AGENT_CONTAINER);
  return { generation: ds.metadata?.generation ?? 0, args: [...(agent?.args ?? [])] };
}
