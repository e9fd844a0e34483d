// Command lines of the box's three processes, as pure functions of the ports and file layout,
// plus the audit policy. Kept apart from process handling so the flags are easy to review and
// test.
import type { StateLayout } from "./layout.js";
import type { PkiFiles } from "./pki.js";
import { LOOPBACK } from "./ports.js";

/** Service ClusterIP range; 10.96.0.1 is the `kubernetes` Service. */
export const SERVICE_CLUSTER_IP_RANGE = "10.96.0.0/16";

/** Issuer (and audience) of ServiceAccount tokens. */
export const SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local";

/**
 * Controllers kube-controller-manager runs. No kubelet exists, so node lifecycle (which would
 * taint and evict pods of fake nodes) and the workload controllers stay off. The garbage
 * collector gives ownerReference cascades, `namespace` finalises namespace deletion,
 * `serviceaccount` creates each namespace's `default` ServiceAccount (pods need it),
 * `root-ca-cert-publisher` the kube-root-ca.crt ConfigMap, and the Endpoints and EndpointSlice
 * controllers run as in a real cluster (they ignore slices another manager owns; what they leave
 * behind when a Service loses its selector is what the adoption of a plain Service cleans up).
 */
export const DEFAULT_CONTROLLERS: readonly string[] = [
  "garbagecollector",
  "namespace",
  "serviceaccount",
  "serviceaccount-token",
  "root-ca-cert-publisher",
  "endpoint",
  "endpointslice",
  "endpointslicemirroring",
];

/**
 * What a box with real nodes adds: the workload controllers the nodes' pods need, node IPAM (it
 * hands each node its pod range) and node lifecycle (a node that stops reporting goes NotReady
 * and its pods' endpoints unready).
 */
export const NODE_CONTROLLERS: readonly string[] = [
  "daemonset",
  "statefulset",
  "replicaset",
  "deployment",
  "nodeipam",
  "nodelifecycle",
  "podgc",
];

/** The node network as the control plane sees it. */
export interface ControlPlaneNetwork {
  /** The API server's advertised address: the node network's gateway. */
  readonly gateway: string;
  /** Pods' range, split into one range per node by node IPAM. */
  readonly clusterCidr: string;
}

/** Ports the box listens on, all on 127.0.0.1. */
export interface BoxPorts {
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly apiserver: number;
  readonly controllerManager: number;
}

/** etcd: a single member, client TLS with client-certificate authentication. */
export function etcdArgs(layout: StateLayout, pki: PkiFiles, ports: BoxPorts): string[] {
  const server = pki.cert("etcd-server");
  const peer = `http://${LOOPBACK}:${ports.etcdPeer}`;
  const client = `https://${LOOPBACK}:${ports.etcdClient}`;
  return [
    "--name=swh-testenv",
    `--data-dir=${layout.etcdDataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=swh-testenv=${peer}`,
    "--initial-cluster-state=new",
    `--cert-file=${server.crt}`,
    `--key-file=${server.key}`,
    `--trusted-ca-file=${pki.caCert}`,
    "--client-cert-auth=true",
    "--log-level=warn",
    // A test box: keep history small so etcd stays light under benchmark churn.
    "--auto-compaction-mode=periodic",
    "--auto-compaction-retention=5m",
    "--quota-backend-bytes=2147483648",
    "--unsafe-no-fsync=true",
  ];
}

/** Options of kube-apiserver that vary per `up`. */
export interface ApiserverOptions {
  /** Write an audit log (request metadata, JSON lines) to the state dir's logs. */
  readonly audit: boolean;
  /** With real nodes: listen on every address and advertise the gateway. */
  readonly network?: ControlPlaneNetwork;
}

/**
 * Where kube-apiserver listens and what it advertises. Without nodes: loopback only, and since
 * Endpoints validation rejects 127.0.0.1 the `kubernetes` Service gets no endpoints (instead of
 * an error every 10 s). With nodes: every address, the gateway advertised, so pods reach it
 * through the `kubernetes` Service and kube-proxy.
 */
function endpointArgs(network: ControlPlaneNetwork | undefined): string[] {
  if (!network) {
    return [
      `--bind-address=${LOOPBACK}`,
      `--advertise-address=${LOOPBACK}`,
      "--endpoint-reconciler-type=none",
    ];
  }
  return [
    "--bind-address=0.0.0.0",
    `--advertise-address=${network.gateway}`,
    "--endpoint-reconciler-type=lease",
  ];
}

/**
 * With nodes: how kube-apiserver reaches the kubelets (`kubectl logs`, `exec`): by their
 * InternalIP (node names resolve nowhere), with a client certificate the kubelets' webhook
 * authorisation accepts.
 */
function kubeletClientArgs(pki: PkiFiles, network: ControlPlaneNetwork | undefined): string[] {
  if (!network) return [];
  const client = pki.cert(KUBELET_CLIENT_CERT);
  return [
    "--kubelet-preferred-address-types=InternalIP",
    `--kubelet-client-certificate=${client.crt}`,
    `--kubelet-client-key=${client.key}`,
  ];
}

/** The certificate kube-apiserver presents to the kubelets (issued with the nodes' ones). */
export const KUBELET_CLIENT_CERT = "apiserver-kubelet-client";

/** kube-apiserver: RBAC + Node authorisation, SA token issuance. */
export function apiserverArgs(
  layout: StateLayout,
  pki: PkiFiles,
  ports: BoxPorts,
  options: ApiserverOptions,
): string[] {
  const serving = pki.cert("apiserver");
  const etcdClient = pki.cert("apiserver-etcd-client");
  const args = [
    `--etcd-servers=https://${LOOPBACK}:${ports.etcdClient}`,
    `--etcd-cafile=${pki.caCert}`,
    `--etcd-certfile=${etcdClient.crt}`,
    `--etcd-keyfile=${etcdClient.key}`,
    ...endpointArgs(options.network),
    ...kubeletClientArgs(pki, options.network),
    `--secure-port=${ports.apiserver}`,
    `--tls-cert-file=${serving.crt}`,
    `--tls-private-key-file=${serving.key}`,
    `--client-ca-file=${pki.caCert}`,
    "--authorization-mode=Node,RBAC",
    "--anonymous-auth=false",
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${pki.saPub}`,
    `--service-account-signing-key-file=${pki.saKey}`,
    `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
    "--enable-admission-plugins=NamespaceLifecycle,ServiceAccount,NodeRestriction",
    "--enable-priority-and-fairness=true",
    "--allow-privileged=true",
    "--profiling=false",
  ];
  if (options.audit) {
    args.push(
      `--audit-policy-file=${layout.auditPolicyFile}`,
      `--audit-log-path=${layout.auditLogFile}`,
      "--audit-log-format=json",
      "--audit-log-mode=blocking",
      "--audit-log-maxsize=0",
    );
  }
  return args;
}

/**
 * Audit policy for benchmarks: one event per request at ResponseComplete with metadata (user,
 * verb, resource, status), nothing for the apiserver's own health and watch bookkeeping noise.
 */
export const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version", "/openapi*"]
  - level: Metadata
`;

/** kube-controller-manager: the controllers tests need, each with its own ServiceAccount. */
export function controllerManagerArgs(
  layout: StateLayout,
  pki: PkiFiles,
  ports: BoxPorts,
  controllers: readonly string[],
  network?: ControlPlaneNetwork,
): string[] {
  const nodeIpam = network
    ? [
        "--allocate-node-cidrs=true",
        `--cluster-cidr=${network.clusterCidr}`,
        "--node-cidr-mask-size=24",
        // A node that stops reporting is NotReady after 20 s (the default is 50 s).
        "--node-monitor-grace-period=20s",
      ]
    : [];
  return [
    ...nodeIpam,
    `--kubeconfig=${layout.controllerManagerKubeconfig}`,
    `--authentication-kubeconfig=${layout.controllerManagerKubeconfig}`,
    `--authorization-kubeconfig=${layout.controllerManagerKubeconfig}`,
    `--bind-address=${LOOPBACK}`,
    `--secure-port=${ports.controllerManager}`,
    `--cert-dir=${layout.controllerManagerCertDir}`,
    `--client-ca-file=${pki.caCert}`,
    // The box has no front proxy (no requestheader CA), so do not look it up in kube-system.
    "--authentication-skip-lookup=true",
    `--root-ca-file=${pki.caCert}`,
    `--service-account-private-key-file=${pki.saKey}`,
    "--use-service-account-credentials=true",
    "--leader-elect=false",
    `--controllers=${controllers.join(",")}`,
    `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
    "--profiling=false",
  ];
}
