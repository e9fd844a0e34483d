// A client acting as the agents do: authenticated by a token of the module's own ServiceAccount
// (`d8-service-with-healthchecks/agent`), issued by the TokenRequest API, against the box's API
// server (server and CA from the admin kubeconfig). What it may do is what the module's RBAC
// grants the agent pods.
import { KubeConfig } from "@kubernetes/client-node";
import { AGENT_SERVICE_ACCOUNT, MODULE_NAMESPACE } from "../../../api/contract.js";
import { KubeRest } from "swh-kube-client";
import { stateLayout } from "../../testenv/layout.js";
import type { World } from "../world/handle.js";

interface TokenRequestJson {
  readonly status?: { readonly token?: string };
}

/** A token of the agent ServiceAccount, valid for `expirationSeconds`. */
export async function agentToken(world: World, expirationSeconds = 3600): Promise<string> {
  const res = await world.rest.request<TokenRequestJson>({
    verb: "create",
    resource: "serviceaccounts/token",
    path: `/api/v1/namespaces/${MODULE_NAMESPACE}/serviceaccounts/${AGENT_SERVICE_ACCOUNT}/token`,
    body: {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { expirationSeconds },
    },
  });
  const token = res.status?.token;
  if (!token) throw new Error("the TokenRequest for the agent ServiceAccount returned no token");
  return token;
}

/** A REST client authenticated as the agent ServiceAccount; close it when done. */
export async function agentRest(world: World, userAgent = "swh-agent-as-test"): Promise<KubeRest> {
  const admin = new KubeConfig();
  admin.loadFromFile(stateLayout(world.layout.stateDir).adminKubeconfig);
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error("the admin kubeconfig has no current cluster");
  const user = `system:serviceaccount:${MODULE_NAMESPACE}:${AGENT_SERVICE_ACCOUNT}`;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: user, token: await agentToken(world) }],
    contexts: [{ name: user, cluster: cluster.name, user }],
    currentContext: user,
  });
  return new KubeRest(kc, { userAgent, timeoutMs: 30_000 });
}
