// Sets up a cluster in a box (tests/testenv) for running the real agent bundle against it: the
// CRD, the module namespace, the agent's ServiceAccount with the RBAC the agent needs (the same
// rules the module's templates must grant), and helpers to fake pods (API objects with a status,
// no kubelet) and read what the agent wrote. Used by tests/e2e/agent-*.test.ts and by hand.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AGENT_SERVICE_ACCOUNT, MODULE_NAMESPACE } from "../../api/contract.js";
import { KubeRest, isNotFound, type RawPod } from "swh-kube-client";
import { adminKubeConfig, applyYaml, issueToken, waitForCrdEstablished } from "../testenv/index.js";

/** Repository root. */
export const ROOT = join(import.meta.dirname, "..", "..");

/**
 * The ClusterRole and Role rules the agent needs: a subset of what templates/agent grants
 * (tests/unit/templates/rbac.test.ts holds it to that).
 */
export function agentRbac(namespace = MODULE_NAMESPACE, sa = AGENT_SERVICE_ACCOUNT): object[] {
  const subject = { kind: "ServiceAccount", name: sa, namespace };
  return [
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "d8:service-with-healthchecks:agent" },
      rules: [
        {
          apiGroups: ["network.deckhouse.io"],
          resources: ["servicewithhealthchecks"],
          verbs: ["get", "list", "watch"],
        },
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["nodes"], verbs: ["get"] },
        {
          apiGroups: ["discovery.k8s.io"],
          resources: ["endpointslices"],
          verbs: ["get", "list", "watch", "create", "update", "delete"],
        },
        { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["create", "patch"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "d8:service-with-healthchecks:agent" },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: "d8:service-with-healthchecks:agent",
      },
      subjects: [subject],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "agent-heartbeat", namespace },
      rules: [
        {
          apiGroups: ["coordination.k8s.io"],
          resources: ["leases"],
          verbs: ["get", "create", "update"],
        },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "agent-heartbeat", namespace },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "agent-heartbeat" },
      subjects: [subject],
    },
  ];
}

/** Role + RoleBinding letting the agent read exactly `names` in `namespace` (what the hook does). */
export function secretAccess(namespace: string, names: string[]): object[] {
  return [
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "d8-service-with-healthchecks-agent-secrets", namespace },
      rules: [
        {
          apiGroups: [""],
          resources: ["secrets"],
          resourceNames: names,
          verbs: ["get", "list", "watch"],
        },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "d8-service-with-healthchecks-agent-secrets", namespace },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "Role",
        name: "d8-service-with-healthchecks-agent-secrets",
      },
      subjects: [
        { kind: "ServiceAccount", name: AGENT_SERVICE_ACCOUNT, namespace: MODULE_NAMESPACE },
      ],
    },
  ];
}

/** What setupAgentCluster returns. */
export interface AgentCluster {
  /** Admin REST client (for fixtures and assertions). */
  readonly admin: KubeRest;
  /** Kubeconfig authenticating as the agent's ServiceAccount. */
  readonly agentKubeconfig: string;
}

/** Installs the CRD, the module namespace, the agent's RBAC and issues its token. */
export async function setupAgentCluster(stateDir?: string): Promise<AgentCluster> {
  const opts = stateDir ? { stateDir } : {};
  await applyYaml(readFileSync(join(ROOT, "crds", "servicewithhealthchecks.yaml"), "utf8"), opts);
  await waitForCrdEstablished("servicewithhealthchecks.network.deckhouse.io", opts);
  await applyYaml(
    [{ apiVersion: "v1", kind: "Namespace", metadata: { name: MODULE_NAMESPACE } }] as never[],
    opts,
  );
  await applyYaml(agentRbac(), opts);
  const token = await issueToken(MODULE_NAMESPACE, AGENT_SERVICE_ACCOUNT, opts);
  return { admin: new KubeRest(adminKubeConfig(stateDir)), agentKubeconfig: token.kubeconfigPath };
}

/** Options of a fake pod. */
export interface FakePod {
  readonly name: string;
  readonly namespace: string;
  readonly nodeName: string;
  readonly labels: Record<string, string>;
  readonly ips: string[];
  readonly ready?: boolean;
  readonly ports?: Array<{ name?: string; containerPort: number }>;
}

/** Creates a pod (or updates its status) as the kubelet would: spec via create, status via /status. */
export async function putPod(admin: KubeRest, p: FakePod): Promise<RawPod> {
  const path = `/api/v1/namespaces/${p.namespace}/pods`;
  let pod: RawPod;
  try {
    pod = await admin.request<RawPod>({ verb: "get", resource: "pods", path: `${path}/${p.name}` });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    pod = await admin.request<RawPod>({
      verb: "create",
      resource: "pods",
      path,
      body: {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: p.name, namespace: p.namespace, labels: p.labels },
        spec: {
          nodeName: p.nodeName,
          containers: [{ name: "main", image: "none", ports: p.ports ?? [] }],
        },
      },
    });
  }
  const now = new Date().toISOString();
  return admin.request<RawPod>({
    verb: "patch",
    resource: "pods",
    path: `${path}/${p.name}/status`,
    contentType: "application/merge-patch+json",
    body: {
      status: {
        phase: "Running",
        podIP: p.ips[0],
        podIPs: p.ips.map(ip => ({ ip })),
        startTime: pod.status?.startTime ?? now,
        conditions: [
          { type: "Ready", status: p.ready === false ? "False" : "True", lastTransitionTime: now },
        ],
      },
    },
  });
}

/** Applies a namespace (idempotent). */
export async function ensureNamespace(name: string, stateDir?: string): Promise<void> {
  await applyYaml(
    [{ apiVersion: "v1", kind: "Namespace", metadata: { name } }] as never[],
    stateDir ? { stateDir } : {},
  );
}
