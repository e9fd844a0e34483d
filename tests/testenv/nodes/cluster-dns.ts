// The nodes' cluster DNS: CoreDNS (built from the Go module proxy) in the root namespace on the
// bridge's gateway, the address every kubelet names as `clusterDNS`, so pods with the default
// dnsPolicy (ClusterFirst) resolve `<service>.<namespace>.svc.cluster.local` through its kubernetes
// plugin, which answers from Services and EndpointSlices — for a headless Service, the addresses
// of the ready endpoints only. Other names get NXDOMAIN: no traffic leaves the machine.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isOurProcess, logTail, startDaemon } from "../daemon.js";
import type { StateLayout } from "../layout.js";

/** The cluster domain the kubelets and CoreDNS agree on. */
export const CLUSTER_DOMAIN = "cluster.local";
/** CoreDNS's `ready` endpoint port on the gateway: 200 once the kubernetes plugin has synced. */
export const DNS_READY_PORT = 8181;

/** CoreDNS's configuration: the cluster zone from the API, everything else NXDOMAIN. */
export function corefile(address: string, kubeconfig: string): string {
  return `${CLUSTER_DOMAIN}:53 in-addr.arpa:53 ip6.arpa:53 {
    bind ${address}
    errors
    ready ${address}:${DNS_READY_PORT}
    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {
        kubeconfig ${kubeconfig}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
}
.:53 {
    bind ${address}
    errors
    template ANY ANY {
        rcode NXDOMAIN
    }
}
`;
}

/** Log file of the cluster DNS. */
export function clusterDnsLogFile(layout: StateLayout): string {
  return join(layout.logDir, "coredns.log");
}

/**
 * Starts CoreDNS on `address` (it lists and watches with the admin kubeconfig, reached on
 * loopback) and returns its pid; `waitClusterDnsReady` says when it answers.
 */
export async function startClusterDns(
  layout: StateLayout,
  binary: string,
  address: string,
): Promise<number> {
  const file = join(layout.root, "Corefile");
  await writeFile(file, corefile(address, layout.adminKubeconfig));
  return startDaemon({ binary, args: ["-conf", file], logFile: clusterDnsLogFile(layout) });
}

/** Waits until CoreDNS's kubernetes plugin has synced (its `ready` endpoint answers 200). */
export async function waitClusterDnsReady(
  layout: StateLayout,
  pid: number,
  address: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isOurProcess(pid, `${layout.root}/`)) {
      throw new Error(`CoreDNS exited; its log ended:\n${logTail(clusterDnsLogFile(layout))}`);
    }
    const ok = await fetch(`http://${address}:${DNS_READY_PORT}/ready`).then(
      r => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) {
      throw new Error(
        `CoreDNS not ready in ${timeoutMs} ms; its log:\n${logTail(clusterDnsLogFile(layout))}`,
      );
    }
    await sleep(250);
  }
}
