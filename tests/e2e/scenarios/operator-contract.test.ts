// The contract between the module's hooks and the real addon-operator, checked on what the
// operator really does (the stand-in that used to play it was written from documentation):
// - the binding contexts it hands each hook parse with the hook library, name only bindings the
//   hook declared, and carry the snapshots the hook's config asks for (jqFilter results, no
//   full objects). A batch hook's bindings all land in one group, "main": every context but
//   onStartup is a Group context with every snapshot of the hook, and Synchronization runs the
//   hook whatever the config says (addon-operator's remap). The operator keeps the files
//   (DEBUG_KEEP_TMP_FILES) for this test to read;
// - every patch operation kind the hooks wrote is applied and visible in the API: CreateOrUpdate
//   (child Service, Secret-access Role and RoleBinding), MergePatch on the status subresource,
//   DeleteInBackground (the RoleBinding once no SWH references the Secret);
// - the hooks' metrics are exposed on the operator's /metrics/hooks, and a deleted SWH's gauges
//   go with it (the status hook expires its metric group every run);
// - a hook whose write the API server refuses (a ValidatingAdmissionPolicy) fails, stays at the
//   head of the main queue and is retried with backoff (`failures N` grows, the reason shown),
//   and converges once the API accepts the write; meanwhile the fencing hook, on a queue of its
//   own, keeps running.
// (JQPatch, the fencing hook's, is applied in agent-restart-fencing.)
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { jest } from "@jest/globals";
import {
  MODULE_NAME,
  SECRET_ACCESS_NAME,
  SWH_API_VERSION,
  SWH_KIND,
} from "../../../api/contract.js";
import { parseBindingContexts } from "shell-operator-ts-hooks/internal";
import type { Artefacts } from "../../cluster/builds.js";
import { deleteIfPresent, getOrUndefined } from "../../cluster/kube.js";
import {
  releaseScenarioWorld,
  SCENARIO_SETUP_TIMEOUT_MS,
  scenarioWorld,
} from "../../cluster/scenario/context.js";
import { sumMetric, sumMetricBy } from "../../cluster/prom-text.js";
import {
  applyManifest,
  createNamespace,
  deleteManifestObject,
  deleteNamespace,
  genericSecret,
  type Manifest,
} from "../../cluster/scenario/objects.js";
import { getSwh, seedIn } from "../../cluster/scenario/swh.js";
import { startVmWorkload } from "../../cluster/scenario/workloads.js";
import { operatorGet } from "../../cluster/world/operator.js";
import { headFailure, moduleConverged, operatorView } from "../../cluster/world/operator-view.js";
import { restartOperator, type World } from "../../cluster/world/world.js";
import type { OperatorRecord } from "../../cluster/state.js";
import { eventually } from "../support/eventually.js";

jest.setTimeout(600_000);

/** One hook as `swh-hooks hook config` declares it. */
interface HookConfig {
  readonly metadata: { readonly name: string };
  readonly kubernetes?: readonly {
    readonly name: string;
    readonly jqFilter?: string;
    readonly keepFullObjectsInMemory?: boolean;
  }[];
  readonly schedule?: readonly { readonly name: string }[];
}

/** One patch operation as a hook wrote it. */
interface PatchOperation {
  readonly operation: string;
  readonly subresource?: string;
  readonly kind?: string;
  readonly object?: { readonly kind?: string };
}

let world: World;
let artefacts: Artefacts;
let operator: OperatorRecord;
let ns: string;
let hooks: readonly HookConfig[];

const secretAccessRole = (): string =>
  `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles/${SECRET_ACCESS_NAME}`;

function dbSwh(): Manifest {
  return {
    apiVersion: SWH_API_VERSION,
    kind: SWH_KIND,
    metadata: { name: "db", namespace: ns },
    spec: {
      selector: { app: "db" },
      ports: [{ port: 5432, targetPort: 5432 }],
      healthcheck: {
        probes: [
          {
            mode: "PostgreSQL",
            postgreSQL: {
              targetPort: 5432,
              dbName: "postgres",
              authSecretName: "db-cred",
              query: "SELECT 1",
            },
          },
        ],
      },
    },
  };
}

/** Files of the operator's tmp dir whose name contains `part`. */
async function keptFiles(part: string): Promise<string[]> {
  const dir = world.layout.tmpDir;
  return (await readdir(dir)).filter(f => f.includes(part)).map(f => join(dir, f));
}

/** Removes every hook-run file the operator kept (contexts, values, metrics, patches). */
async function removeKeptFiles(): Promise<void> {
  const files = [...(await keptFiles(".module-hook")), ...(await keptFiles("-object-patch-"))];
  for (const file of files) await rm(file, { force: true });
}

/** The hook of a kept file: its name carries the hook's safe name (`…-<hook>-<index>…`). */
function hookOfFile(file: string): string | undefined {
  return hooks.map(h => h.metadata.name).find(name => file.includes(`-${name}-`));
}

/** The operations of a patch file (the hook library writes one JSON object per line). */
function patchOperations(text: string): PatchOperation[] {
  return text
    .split("\n")
    .filter(line => line.trim() !== "")
    .map(line => JSON.parse(line) as PatchOperation);
}

/** Every patch operation the hooks wrote since the operator started keeping files. */
async function keptOperations(): Promise<PatchOperation[]> {
  const files = await keptFiles("-object-patch-");
  return (
    await Promise.all(files.map(async f => patchOperations(await readFile(f, "utf8"))))
  ).flat();
}

beforeAll(async () => {
  ({ world, artefacts } = await scenarioWorld());
  const config = JSON.parse(
    execFileSync(artefacts.hooksExecutable, ["hook", "config"], { encoding: "utf8" }),
  ) as { hooks: HookConfig[] };
  hooks = config.hooks;
  await removeKeptFiles();
  operator = await restartOperator(world, { keepHookFiles: true });
  ns = await createNamespace(world, "swh-contract");
  await startVmWorkload(world, ns);
  await applyManifest(world, genericSecret(ns, "db-cred", { username: "u", password: "p" }));
  await applyManifest(world, seedIn("web", ns));
  await applyManifest(world, dbSwh());
  await eventually(
    "web ready and the Secret readable by the agents",
    async () => {
      expect((await getSwh(world, ns, "web"))?.status?.readySummary).toBe("1/1");
      expect(await getOrUndefined(world.rest, secretAccessRole())).toBeDefined();
    },
    120_000,
  );
}, SCENARIO_SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (world) {
    if (ns) await deleteNamespace(world, ns);
    // Back to an operator that keeps no files, and none left over for a later run to read.
    await restartOperator(world);
    await removeKeptFiles();
  }
  await releaseScenarioWorld();
});

describe("binding contexts from the real addon-operator", () => {
  it("parse with the hook library and carry exactly the snapshots each hook declared", async () => {
    const files = await keptFiles("binding-context");
    const seen: Record<string, Set<string>> = {};
    for (const file of files) {
      const name = hookOfFile(file);
      const hook = hooks.find(h => h.metadata.name === name);
      expect([file, hook !== undefined]).toEqual([file, true]);
      if (!hook) continue;
      const declared = new Map((hook.kubernetes ?? []).map(k => [k.name, k]));
      const bindings = new Set([
        "onStartup",
        ...declared.keys(),
        ...(hook.schedule ?? []).map(s => s.name),
      ]);
      const contexts = parseBindingContexts(JSON.parse(await readFile(file, "utf8")));
      for (const context of contexts) {
        (seen[hook.metadata.name] ??= new Set()).add(context.type);
        expect([hook.metadata.name, bindings.has(context.binding)]).toEqual([
          hook.metadata.name,
          true,
        ]);
        for (const [binding, items] of Object.entries(context.snapshots ?? {})) {
          const spec = declared.get(binding);
          expect([hook.metadata.name, binding, spec !== undefined]).toEqual([
            hook.metadata.name,
            binding,
            true,
          ]);
          // jqFilter and keepFullObjectsInMemory: false: filter results only, never objects.
          for (const item of items) {
            expect(item.object).toBeUndefined();
            expect(item).toHaveProperty("filterResult");
          }
        }
        if (context.type === "Group") {
          // addon-operator puts every binding of a batch hook in the group "main": a context
          // names the binding that fired and carries every snapshot of the hook, even empty ones.
          expect(context.groupName).toBe("main");
          expect(Object.keys(context.snapshots).sort()).toEqual([...declared.keys()].sort());
        }
      }
    }
    const types = Object.fromEntries(Object.entries(seen).map(([k, v]) => [k, [...v].sort()]));
    process.stdout.write(`binding context types per hook: ${JSON.stringify(types)}\n`);
    expect(Object.keys(types).sort()).toEqual(hooks.map(h => h.metadata.name).sort());
  });
});

describe("patch operations applied by the real addon-operator", () => {
  it("CreateOrUpdate and MergePatch on status are visible in the API", async () => {
    const ops = await keptOperations();
    const kinds = new Set(
      ops.map(o => `${o.operation}${o.subresource ? `/${o.subresource}` : ""}`),
    );
    expect([...kinds]).toEqual(expect.arrayContaining(["CreateOrUpdate", "MergePatch/status"]));
    const service = await getOrUndefined<{
      metadata: { ownerReferences?: { kind: string; name: string }[] };
    }>(world.rest, `/api/v1/namespaces/${ns}/services/web`);
    expect(service?.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: SWH_KIND, name: "web" }),
    ]);
    const status = (await getSwh(world, ns, "web"))?.status;
    expect(status?.conditions?.length).toBeGreaterThan(0);
  });

  it("DeleteInBackground removes the Secret access once no SWH references the Secret", async () => {
    // The status hook's grouped gauges: db's series is there now, and must go with db (expire).
    const dbSeries = async (): Promise<boolean> =>
      (await operatorGet(operator, "/metrics/hooks")).body
        .split("\n")
        .some(
          l =>
            l.startsWith("d8_swh_endpoints{") &&
            l.includes(`namespace="${ns}"`) &&
            l.includes('name="db"'),
        );
    await eventually("db's status gauges are exported", async () =>
      expect(await dbSeries()).toBe(true),
    );
    await deleteManifestObject(world, dbSwh());
    await eventually(
      "the Secret-access Role is gone",
      async () => expect(await getOrUndefined(world.rest, secretAccessRole())).toBeUndefined(),
      60_000,
    );
    const ops = await keptOperations();
    expect(ops.map(o => o.operation)).toContain("DeleteInBackground");
    await eventually("db's status gauges are gone from the operator", async () =>
      expect(await dbSeries()).toBe(false),
    );
  });
});

describe("hook metrics", () => {
  it("are exposed on the operator's /metrics/hooks with the module and hook labels", async () => {
    await eventually("the status hook's gauges for web", async () => {
      const text = (await operatorGet(operator, "/metrics/hooks")).body;
      const line = text
        .split("\n")
        .find(l => l.startsWith("d8_swh_ready_endpoints{") && l.includes(`namespace="${ns}"`));
      expect(line).toContain(`module="${MODULE_NAME}"`);
      expect(line).toContain('hook="hooks/swh-hooks:status:3"');
      expect(line).toMatch(/ 1$/);
      expect(sumMetric(text, "d8_swh_fencing_suspended")).toBe(0);
    });
  });
});

describe("a hook whose write is refused", () => {
  const POLICY = "swh-contract-deny-blocked";
  const policyPath = `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/${POLICY}`;
  const bindingPath = `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/${POLICY}`;

  afterAll(async () => {
    await deleteIfPresent(world.rest, bindingPath);
    await deleteIfPresent(world.rest, policyPath);
  });

  it("is retried with backoff at the head of the queue and converges once the API accepts it", async () => {
    await applyManifest(world, {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicy",
      metadata: { name: POLICY },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: [""],
              apiVersions: ["v1"],
              operations: ["CREATE"],
              resources: ["services"],
            },
          ],
        },
        validations: [
          { expression: "object.metadata.name != 'blocked'", message: "contract test: refused" },
        ],
      },
    });
    await applyManifest(world, {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { name: POLICY },
      spec: {
        policyName: POLICY,
        validationActions: ["Deny"],
        matchResources: {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
        },
      },
    });
    // The policy takes a moment to reach the admission plugin: retry the probe until refused.
    await eventually("the policy refuses a Service named blocked", async () => {
      const refused = await applyManifest(world, {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "blocked", namespace: ns },
        spec: { ports: [{ port: 80 }] },
      }).then(
        async () => {
          await deleteIfPresent(world.rest, `/api/v1/namespaces/${ns}/services/blocked`);
          return false;
        },
        () => true,
      );
      expect(refused).toBe(true);
    });
    const blocked = { ...seedIn("web", ns), metadata: { name: "blocked", namespace: ns } };
    await applyManifest(world, blocked);
    const failing = await eventually(
      "the child-service hook fails at the head of the main queue, retried",
      async () => {
        const view = await operatorView(operator);
        expect(view.mainQueue[0]).toMatch(/hooks\/swh-hooks:child-service:1.*:failures [2-9]\d*:/s);
        expect(view.lastError).toContain("contract test: refused");
        return view;
      },
      120_000,
      500,
    );
    process.stdout.write(`queue head while refused: ${failing.mainQueue[0] ?? ""}\n`);
    // The fencing hook has a queue of its own: it keeps running behind no failing task.
    const gcRuns = async (): Promise<number> =>
      sumMetricBy(
        (await operatorGet(operator, "/metrics")).body,
        "addon_operator_module_hook_run_seconds_count",
        "hook",
      )["hooks/swh-hooks:endpointslice-gc:4"] ?? 0;
    const before = await gcRuns();
    await eventually(
      "the fencing hook runs while the main queue is blocked",
      async () => {
        expect(await gcRuns()).toBeGreaterThan(before);
        expect(headFailure((await operatorView(operator)).mainQueue)).toBeDefined();
      },
      30_000,
      500,
    );
    await deleteIfPresent(world.rest, bindingPath);
    await eventually(
      "the blocked Service is created and the queue is free",
      async () => {
        expect(
          await getOrUndefined(world.rest, `/api/v1/namespaces/${ns}/services/blocked`),
        ).toBeDefined();
        const view = await operatorView(operator);
        expect(view.lastError).toBeUndefined();
        expect(moduleConverged(view, MODULE_NAME)).toBe(true);
      },
      120_000,
      500,
    );
    await deleteManifestObject(world, blocked);
  });
});
