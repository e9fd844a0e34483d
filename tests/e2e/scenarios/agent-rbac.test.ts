// The agents' access to Secrets, checked with the agents' own credentials (a token of the
// module's `agent` ServiceAccount from the TokenRequest API: the identity the agent pods run with,
// whose permissions come from the module's chart and hooks): an agent reads a Secret only while
// some ServiceWithHealthchecks in that namespace references it by name. It cannot read an
// unreferenced Secret, list a namespace's Secrets, or read Secrets cluster-wide, and the grant
// goes away with the SWH.
import { jest } from "@jest/globals";
import {
  AGENT_SERVICE_ACCOUNT,
  MODULE_NAMESPACE,
  SWH_API_VERSION,
  SWH_KIND,
} from "../../../api/contract.js";
import { statusOf, type KubeRest } from "swh-kube-client";
import { agentRest } from "../../cluster/scenario/agent-rest.js";
import {
  applyManifest,
  createNamespace,
  deleteManifestObject,
  deleteNamespace,
  genericSecret,
  type Manifest,
} from "../../cluster/scenario/objects.js";
import {
  releaseScenarioWorld,
  SCENARIO_SETUP_TIMEOUT_MS,
  scenarioWorld,
} from "../../cluster/scenario/context.js";
import type { World } from "../../cluster/world/world.js";
import { eventually } from "../support/eventually.js";

jest.setTimeout(180_000);

let world: World;
let agent: KubeRest;
let ns: string;
let other: string;

const swh: () => Manifest = () => ({
  apiVersion: SWH_API_VERSION,
  kind: SWH_KIND,
  metadata: { name: "db", namespace: ns },
  spec: {
    selector: { app: "db" },
    ports: [{ port: 5432, targetPort: 5432 }],
    healthcheck: {
      probes: [
        { mode: "PostgreSQL", postgreSQL: { targetPort: 5432, authSecretName: "referenced" } },
      ],
    },
  },
});

/** HTTP status of an agent call (200 when it succeeded). */
async function asAgent(path: string, query?: Record<string, string>): Promise<number> {
  try {
    await agent.request({
      verb: query ? "list" : "get",
      resource: "secrets",
      path,
      ...(query ? { query } : {}),
    });
    return 200;
  } catch (err) {
    return statusOf(err);
  }
}

beforeAll(async () => {
  ({ world } = await scenarioWorld());
  agent = await agentRest(world, "swh-agent-rbac-check");
  ns = await createNamespace(world, "swh-rbac");
  other = await createNamespace(world, "swh-rbac-other");
  for (const name of ["referenced", "unreferenced"]) {
    await applyManifest(world, genericSecret(ns, name, { user: "u", password: "p" }));
  }
  await applyManifest(world, genericSecret(other, "referenced", { user: "u", password: "p" }));
  await applyManifest(world, swh());
}, SCENARIO_SETUP_TIMEOUT_MS);

afterAll(async () => {
  agent?.close();
  for (const n of [ns, other]) if (n) await deleteNamespace(world, n);
  await releaseScenarioWorld();
});

describe("the agent's Secret access", () => {
  it("is checked as the agent ServiceAccount (the API server's own review of the token)", async () => {
    const review = await agent.request<{ status?: { userInfo?: { username?: string } } }>({
      verb: "create",
      resource: "selfsubjectreviews",
      path: "/apis/authentication.k8s.io/v1/selfsubjectreviews",
      body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
    });
    expect(review.status?.userInfo?.username).toBe(
      `system:serviceaccount:${MODULE_NAMESPACE}:${AGENT_SERVICE_ACCOUNT}`,
    );
  });

  it("reads a Secret an SWH in its namespace references (get, and list/watch by name)", async () => {
    await eventually(
      "access granted by the secret-access hook",
      async () => {
        expect(await asAgent(`/api/v1/namespaces/${ns}/secrets/referenced`)).toBe(200);
      },
      60_000,
      250,
    );
    expect(
      await asAgent(`/api/v1/namespaces/${ns}/secrets`, {
        fieldSelector: "metadata.name=referenced",
      }),
    ).toBe(200);
  });

  it("cannot read an unreferenced Secret in the same namespace", async () => {
    expect(await asAgent(`/api/v1/namespaces/${ns}/secrets/unreferenced`)).toBe(403);
    expect(
      await asAgent(`/api/v1/namespaces/${ns}/secrets`, {
        fieldSelector: "metadata.name=unreferenced",
      }),
    ).toBe(403);
  });

  it("cannot list the namespace's Secrets, nor Secrets cluster-wide", async () => {
    expect(await asAgent(`/api/v1/namespaces/${ns}/secrets`, {})).toBe(403);
    expect(await asAgent("/api/v1/secrets", {})).toBe(403);
  });

  it("cannot read a same-named Secret in a namespace without SWHs", async () => {
    expect(await asAgent(`/api/v1/namespaces/${other}/secrets/referenced`)).toBe(403);
  });

  it("loses the access when the SWH goes", async () => {
    await deleteManifestObject(world, swh());
    await eventually(
      "access revoked",
      async () => {
        expect(await asAgent(`/api/v1/namespaces/${ns}/secrets/referenced`)).toBe(403);
      },
      60_000,
      250,
    );
  });
});
