// The cluster in a box as a library, for jest's e2e setup, tests and benchmarks. A box is one
// etcd, one kube-apiserver (RBAC, ServiceAccount tokens) and one kube-controller-manager on free
// loopback ports, living in a state dir (`$SWH_TESTENV_DIR` or ~/.cache/swh-testenv/run/default).
import { defaultStateDir, stateLayout } from "./layout.js";
import { down, status, up, type UpOptions, type UpResult } from "./lifecycle.js";

export {
  adminKubeConfig,
  applyYaml,
  issueToken,
  parseManifests,
  waitForCrdEstablished,
  type ApplyOptions,
  type IssuedToken,
  type IssueTokenOptions,
} from "./client.js";
export {
  componentPorts,
  parseComponent,
  startComponent,
  stopComponent,
  type StartComponentOptions,
  type StartedComponent,
  type StopComponentOptions,
  type StoppedComponent,
} from "./component-control.js";
export {
  DEFAULT_CONTROLLERS,
  SERVICE_ACCOUNT_ISSUER,
  SERVICE_CLUSTER_IP_RANGE,
} from "./components.js";
export { cacheDir, defaultStateDir, stateLayout, toolVersions } from "./layout.js";
export type { BoxPorts } from "./components.js";
export type { Component } from "./state.js";
export type {
  BoxStatus,
  DownOptions,
  DownResult,
  ProcessStatus,
  UpOptions,
  UpResult,
} from "./lifecycle.js";
export { down, status };

/** Brings the box up unless it already runs (then returns at once with `reused: true`). */
export function ensureUp(opts: UpOptions = {}): Promise<UpResult> {
  return up(opts);
}

/** Path of the admin kubeconfig of the box in `stateDir`. */
export function kubeconfigPath(stateDir = defaultStateDir()): string {
  return stateLayout(stateDir).adminKubeconfig;
}
