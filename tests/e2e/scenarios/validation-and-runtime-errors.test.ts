// Mistakes, at both ends. At apply time, the API server — with the CRD the module's own hook
// installed — rejects every invalid fixture with the CRD's message (OpenAPI or CEL), naming the
// field. At run time, a probe that cannot work (the referenced Secret does not exist, the
// password is wrong) makes the endpoint not ready, and the endpoint report and the SWH status say
// why; nothing crashes, and fixing the Secret makes the endpoint ready.
import { jest } from "@jest/globals";
import { SWH_API_VERSION, SWH_KIND } from "../../../api/contract.js";
import { loadManifestFixtures } from "../../fixtures/manifests/fixtures.js";
import { serviceEndpoints } from "../../cluster/scenario/endpoints.js";
import {
  applyManifest,
  createManifest,
  createNamespace,
  deleteNamespace,
  genericSecret,
  inNamespace,
  type Manifest,
} from "../../cluster/scenario/objects.js";
import {
  releaseScenarioWorld,
  SCENARIO_SETUP_TIMEOUT_MS,
  scenarioWorld,
} from "../../cluster/scenario/context.js";
import { endpointStatusOf, getSwh } from "../../cluster/scenario/swh.js";
import { SEED_CREDENTIALS } from "../../cluster/scenario/workloads.js";
import { startRealPostgres } from "../../cluster/scenario/real-postgres.js";
import type { World } from "../../cluster/world/world.js";
import { eventually } from "../support/eventually.js";

jest.setTimeout(300_000);

let world: World;
let ns: string;

beforeAll(async () => {
  ({ world } = await scenarioWorld());
  ns = await createNamespace(world, "swh-errors");
}, SCENARIO_SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (ns) await deleteNamespace(world, ns);
  await releaseScenarioWorld();
});

/** The API server's answer to `kubectl apply --dry-run=server` of a new object. */
async function rejection(m: Manifest): Promise<{ status: number; message: string }> {
  try {
    await createManifest(world, m, { dryRun: true });
    return { status: 200, message: "" };
  } catch (err) {
    return { status: (err as { status?: number }).status ?? 0, message: (err as Error).message };
  }
}

describe("invalid manifests, rejected by the API server with the CRD's messages", () => {
  const invalid = loadManifestFixtures("invalid").filter(
    f => f.expectServer.length + f.expectCel.length > 0,
  );

  it("has fixtures to check", () => {
    expect(invalid.length).toBeGreaterThan(20);
  });

  it.each(invalid.map(f => [f.file, f] as const))("rejects %s", async (_file, fixture) => {
    const { status, message } = await rejection(
      inNamespace(fixture.object as unknown as Manifest, ns),
    );
    // 422 Invalid (OpenAPI, CEL), or 400 BadRequest for an unknown field under strict field
    // validation (kubectl's default).
    expect([400, 422]).toContain(status);
    for (const expected of [...fixture.expectServer, ...fixture.expectCel])
      expect(message).toContain(expected);
  });

  it("accepts the seed's manifests (dry run)", async () => {
    for (const f of loadManifestFixtures("seed")) {
      expect((await rejection(inNamespace(f.object as unknown as Manifest, ns))).status).toBe(200);
    }
  });

  // The CEL rules let the valid fixtures through too (recheckIntervalMilliseconds below the
  // default period, for one); each is its own case, so a refusal names its file.
  it.each(loadManifestFixtures("valid").map(f => [f.file, f] as const))(
    "accepts the valid fixture %s (dry run)",
    async (_file, fixture) => {
      const { status, message } = await rejection(
        inNamespace(fixture.object as unknown as Manifest, ns),
      );
      expect([status, message]).toEqual([200, expect.any(String)]);
    },
  );
});

describe("runtime problems: the endpoint is not ready and the reason is given", () => {
  const probe = (name: string, secret: string): Manifest => ({
    apiVersion: SWH_API_VERSION,
    kind: SWH_KIND,
    metadata: { name, namespace: ns },
    spec: {
      selector: { app: "postgres" },
      ports: [{ port: 5432, targetPort: 5432 }],
      healthcheck: {
        periodSeconds: 1,
        initialDelaySeconds: 0,
        probes: [
          {
            mode: "PostgreSQL",
            postgreSQL: { targetPort: 5432, dbName: "postgres", authSecretName: secret },
          },
        ],
      },
    },
  });

  beforeAll(async () => {
    await startRealPostgres(world, ns, { replicas: 1, seedServices: false });
    await applyManifest(
      world,
      genericSecret(ns, "wrong-password", { user: "postgres", password: "not-the-password" }),
    );
    await applyManifest(world, probe("missing-secret", "no-such-secret"));
    await applyManifest(world, probe("bad-password", "wrong-password"));
  });

  it("says the Secret is missing", async () => {
    await eventually(
      "missing-secret's endpoint reports the missing Secret",
      async () => {
        const [row] = await serviceEndpoints(world, ns, "missing-secret");
        expect(row?.ready).toBe(false);
        expect(row?.failures.join(" ")).toMatch(/no-such-secret/);
      },
      60_000,
      250,
    );
  });

  it("says the password is wrong", async () => {
    await eventually(
      "bad-password's endpoint reports the authentication failure",
      async () => {
        const [row] = await serviceEndpoints(world, ns, "bad-password");
        expect(row?.ready).toBe(false);
        expect(row?.failures.join(" ")).toMatch(/password|authentication/i);
        expect(row?.failures.join(" ")).not.toContain("not-the-password");
      },
      60_000,
      250,
    );
  });

  it("puts the reasons into the SWH status", async () => {
    await eventually(
      "status.endpointStatuses explain both",
      async () => {
        const missing = endpointStatusOf(await getSwh(world, ns, "missing-secret"), "db-0");
        const bad = endpointStatusOf(await getSwh(world, ns, "bad-password"), "db-0");
        expect(missing?.ready).toBe(false);
        expect(missing?.message ?? "").toMatch(/no-such-secret/);
        expect(bad?.ready).toBe(false);
        expect(bad?.message ?? "").toMatch(/password|authentication/i);
      },
      60_000,
      500,
    );
  });

  it("becomes ready once the Secret is fixed", async () => {
    await applyManifest(world, genericSecret(ns, "no-such-secret", SEED_CREDENTIALS));
    await applyManifest(world, genericSecret(ns, "wrong-password", SEED_CREDENTIALS));
    for (const svc of ["missing-secret", "bad-password"]) {
      await eventually(
        `${svc} is ready`,
        async () => {
          const [row] = await serviceEndpoints(world, ns, svc);
          expect(row?.ready).toBe(true);
        },
        60_000,
        250,
      );
    }
  });
});
