// kube-scheduler's command line: on loopback, its own client certificate (system:kube-scheduler,
// bound by the API server's default RBAC), no leader election (one replica).
import { join } from "node:path";
import type { StateLayout } from "../layout.js";

export function schedulerArgs(layout: StateLayout, kubeconfig: string, port: number): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    // The box has no front proxy (no requestheader CA), so do not look it up in kube-system.
    "--authentication-skip-lookup=true",
    "--bind-address=127.0.0.1",
    `--secure-port=${port}`,
    `--cert-dir=${join(layout.root, "scheduler-certs")}`,
    "--leader-elect=false",
    "--profiling=false",
  ];
}
