// Measures one run of the status hook at scale through the real hooks executable, the way
// addon-operator drives it: a generated cluster (SWHs, child Services, agent EndpointSlices) is
// filtered with the executable's own jqFilters by the real jq, written as a Group binding context,
// and `swh-hooks hook run <status>` is timed with /usr/bin/time (CPU user+sys, wall, max RSS).
// Three cases: an empty context (the process floor), the first run (every status written) and
// the steady state (statuses converged: the common case, zero writes). Several executables (e.g.
// builds before and after a change) run interleaved, round by round, so that load from other
// processes hits them alike. It imports nothing from the project, so Node runs it directly
// (type stripping); not part of the hooks executable:
//
//   node scripts/build-hooks.mjs --out-dir /tmp/after
//   ./node_modules/.bin/node bench/hooks/compare-builds.ts [--swhs 1000] [--endpoints 10000] \
//     [--runs 15] /tmp/before/swh-hooks /tmp/after/swh-hooks

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

type Json = Record<string, unknown>;

interface Binding {
  readonly name: string;
  readonly jqFilter?: string;
}

interface Measurement {
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly maxRssMiB: number;
  readonly writes: number;
}

const NODES = 20;
const NOW = new Date().toISOString();

function swh(i: number): Json {
  const name = `svc-${i}`;
  return {
    apiVersion: "network.deckhouse.io/v1alpha1",
    kind: "ServiceWithHealthchecks",
    metadata: {
      name,
      namespace: `ns-${i % 50}`,
      uid: `uid-${i}`,
      generation: 2,
      resourceVersion: String(1000 + i),
      creationTimestamp: NOW,
      labels: { app: name, team: "platform" },
      annotations: {
        "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify({ spec: { name } }),
      },
      managedFields: [{ manager: "kubectl", operation: "Apply", fieldsV1: { "f:spec": {} } }],
    },
    spec: {
      type: "ClusterIP",
      selector: { app: name },
      ports: [
        { name: "http", port: 80, targetPort: "http", protocol: "TCP" },
        { name: "pg", port: 5432, targetPort: 5432, protocol: "TCP" },
      ],
      healthcheck: {
        initialDelaySeconds: 10,
        periodSeconds: 10,
        probes: [
          {
            mode: "HTTP",
            timeoutSeconds: 1,
            http: {
              targetPort: "http",
              path: "/healthz",
              httpHeaders: [{ name: "X-Check", value: "1" }],
              scheme: "HTTP",
            },
          },
          {
            mode: "PostgreSQL",
            postgreSQL: {
              targetPort: 5432,
              dbName: "app",
              authSecretName: "cred",
              query: "select 1",
            },
          },
        ],
      },
    },
  };
}

function service(i: number): Json {
  const name = `svc-${i}`;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name,
      namespace: `ns-${i % 50}`,
      uid: `svc-uid-${i}`,
      ownerReferences: [
        {
          apiVersion: "network.deckhouse.io/v1alpha1",
          kind: "ServiceWithHealthchecks",
          name,
          uid: `uid-${i}`,
          controller: true,
        },
      ],
      managedFields: [{ manager: "swh-hooks", operation: "Apply" }],
    },
    spec: {
      type: "ClusterIP",
      clusterIP: `10.96.${i >> 8}.${i & 255}`,
      clusterIPs: [`10.96.${i >> 8}.${i & 255}`],
      ipFamilies: ["IPv4"],
      ports: [{ name: "http", port: 80, targetPort: 80, protocol: "TCP" }],
      selector: {},
    },
    status: { loadBalancer: {} },
  };
}

/** The slices of SWH `i`: its `perSwh` pods spread over NODES nodes, one slice per node. */
function slices(i: number, perSwh: number): Json[] {
  const byNode = new Map<number, Json[]>();
  for (let p = 0; p < perSwh; p++) {
    const node = (i + p) % NODES;
    const list = byNode.get(node) ?? [];
    list.push({ pod: `svc-${i}-${p}`, address: `10.${i >> 8}.${i & 255}.${p}`, p });
    byNode.set(node, list);
  }
  return [...byNode].map(([node, pods]) => {
    const reports = pods.map(pod => ({
      pod: pod.pod,
      address: pod.address,
      ready: (pod.p as number) % 7 !== 0,
      failedProbes:
        (pod.p as number) % 7 === 0
          ? [{ probe: `HTTP:${pod.address as string}:8080`, reason: "HTTP 503" }]
          : [],
      lastTransitionTime: NOW,
    }));
    return {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: `svc-${i}-node-${node}-0a1b2c3d`,
        namespace: `ns-${i % 50}`,
        labels: {
          "kubernetes.io/service-name": `svc-${i}`,
          "network.deckhouse.io/node-name": `node-${node}`,
          "endpointslice.kubernetes.io/managed-by": "servicewithhealthchecks",
          heritage: "deckhouse",
        },
        annotations: { "network.deckhouse.io/endpoint-reports": JSON.stringify(reports) },
        ownerReferences: [
          {
            apiVersion: "network.deckhouse.io/v1alpha1",
            kind: "ServiceWithHealthchecks",
            name: `svc-${i}`,
            uid: `uid-${i}`,
            controller: true,
          },
        ],
        managedFields: [{ manager: "swh-agent", operation: "Update" }],
      },
      addressType: "IPv4",
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      endpoints: pods.map(pod => ({
        addresses: [pod.address],
        conditions: { ready: (pod.p as number) % 7 !== 0, serving: true, terminating: false },
        nodeName: `node-${node}`,
        targetRef: {
          kind: "Pod",
          name: pod.pod,
          namespace: `ns-${i % 50}`,
          uid: `pod-${pod.pod as string}`,
        },
      })),
    };
  });
}

/** Filters every object with `program` in one jq process, as the operator filters each object. */
function jqFilterAll(
  program: string | undefined,
  objects: readonly Json[],
  dir: string,
): unknown[] {
  const input = path.join(dir, "objects.json");
  writeFileSync(input, JSON.stringify(objects));
  const out = execFileSync("jq", ["-c", `[.[] | (${program ?? "."})]`, input], {
    maxBuffer: 1 << 30,
  });
  return JSON.parse(out.toString("utf8")) as unknown[];
}

function statusHookConfig(executable: string): { index: number; bindings: Binding[] } {
  const config = JSON.parse(execFileSync(executable, ["hook", "config"]).toString("utf8")) as {
    hooks: Array<{ metadata: { name: string }; kubernetes?: Binding[] }>;
  };
  const index = config.hooks.findIndex(h => h.metadata.name === "status");
  if (index < 0) throw new Error(`${executable}: no "status" hook in hook config`);
  return { index, bindings: config.hooks[index]?.kubernetes ?? [] };
}

function writeContext(dir: string, bindings: Binding[], objects: Record<string, Json[]>): void {
  const snapshots: Record<string, unknown[]> = {};
  for (const binding of bindings) {
    snapshots[binding.name] = jqFilterAll(binding.jqFilter, objects[binding.name] ?? [], dir).map(
      filterResult => ({ filterResult }),
    );
  }
  const context = [{ binding: "main", type: "Group", groupName: "main", snapshots }];
  writeFileSync(path.join(dir, "context.json"), JSON.stringify(context));
  const bytes = readFileSync(path.join(dir, "context.json")).length;
  const mib = (bytes / 1024 / 1024).toFixed(2);
  process.stdout.write(`  ${path.basename(dir)} binding context: ${mib} MiB\n`);
}

function protocolEnv(dir: string): Record<string, string> {
  writeFileSync(path.join(dir, "values.json"), JSON.stringify({ serviceWithHealthchecks: {} }));
  writeFileSync(path.join(dir, "config.json"), JSON.stringify({ serviceWithHealthchecks: {} }));
  return {
    MODULE_NAME: "service-with-healthchecks",
    BINDING_CONTEXT_PATH: path.join(dir, "context.json"),
    VALUES_PATH: path.join(dir, "values.json"),
    CONFIG_VALUES_PATH: path.join(dir, "config.json"),
    VALUES_JSON_PATCH_PATH: path.join(dir, "values-patch.json"),
    CONFIG_VALUES_JSON_PATCH_PATH: path.join(dir, "config-values-patch.json"),
    METRICS_PATH: path.join(dir, "metrics.json"),
    KUBERNETES_PATCH_PATH: path.join(dir, "patch.json"),
  };
}

function readPatches(dir: string): Json[] {
  return readFileSync(path.join(dir, "patch.json"), "utf8")
    .split("\n")
    .filter(line => line.trim() !== "")
    .map(line => JSON.parse(line) as Json);
}

/** Runs the hook once under /usr/bin/time; the patch file is truncated first. */
function runOnce(executable: string, index: number, dir: string): Measurement {
  writeFileSync(path.join(dir, "patch.json"), "");
  const result = spawnSync(
    "/usr/bin/time",
    ["-f", "%U %S %e %M", executable, "hook", "run", String(index)],
    { env: protocolEnv(dir), encoding: "utf8", maxBuffer: 1 << 28 },
  );
  if (result.status !== 0) throw new Error(`hook run failed: ${result.stderr}`);
  const line = result.stderr.trim().split("\n").at(-1) ?? "";
  const [user, sys, wall, rssKiB] = line.split(" ").map(Number);
  return {
    cpuMs: ((user ?? 0) + (sys ?? 0)) * 1000,
    wallMs: (wall ?? 0) * 1000,
    maxRssMiB: (rssKiB ?? 0) / 1024,
    writes: readPatches(dir).length,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

/** Median and mean: /usr/bin/time counts CPU in 10 ms ticks, the mean resolves finer. */
function summary(label: string, runs: Measurement[]): string {
  const cpu = runs.map(r => r.cpuMs);
  const wall = runs.map(r => r.wallMs);
  const rss = median(runs.map(r => r.maxRssMiB));
  const writes = runs[0]?.writes ?? 0;
  return (
    `  ${label}: ${runs.length} runs: cpu median ${median(cpu).toFixed(0)} ms ` +
    `(mean ${mean(cpu).toFixed(1)}), wall median ${median(wall).toFixed(0)} ms ` +
    `(mean ${mean(wall).toFixed(1)}), max RSS ${rss.toFixed(0)} MiB, ${writes} writes\n`
  );
}

/** One executable under test, with its three prepared contexts. */
interface Subject {
  readonly executable: string;
  readonly index: number;
  readonly dirs: { readonly empty: string; readonly first: string; readonly steady: string };
  readonly runs: { empty: Measurement[]; first: Measurement[]; steady: Measurement[] };
}

interface Scale {
  readonly swhs: number;
  readonly perSwh: number;
}

function cluster(scale: Scale): { swhs: Json[]; services: Json[]; slices: Json[] } {
  return {
    swhs: Array.from({ length: scale.swhs }, (_, i) => swh(i)),
    services: Array.from({ length: scale.swhs }, (_, i) => service(i)),
    slices: Array.from({ length: scale.swhs }, (_, i) => slices(i, scale.perSwh)).flat(),
  };
}

/**
 * Prepares the contexts of one executable: empty (the process floor: start-up, protocol files),
 * first run (no status stored yet), steady state (the first run's statuses stored).
 */
function prepare(executable: string, scale: Scale, root: string): Subject {
  const { index, bindings } = statusHookConfig(executable);
  const base = mkdtempSync(path.join(root, "subject-"));
  const dirs = { empty: "empty", first: "first", steady: "steady" };
  const full = Object.fromEntries(
    Object.entries(dirs).map(([k, d]) => [k, path.join(base, d)]),
  ) as Subject["dirs"];
  for (const dir of Object.values(full)) execFileSync("mkdir", ["-p", dir]);
  process.stdout.write(`${executable} (status hook #${index})\n`);
  writeContext(full.empty, bindings, { swhs: [], services: [], slices: [] });
  const objects = cluster(scale);
  writeContext(full.first, bindings, objects);
  runOnce(executable, index, full.first);
  const byName = new Map(
    readPatches(full.first).map(p => [`${String(p.namespace)}/${String(p.name)}`, p]),
  );
  for (const item of objects.swhs) {
    const meta = item.metadata as Json;
    const patch = byName.get(`${String(meta.namespace)}/${String(meta.name)}`);
    // Builds before the status-wrapper fix emitted the bare status; later ones `{ status }`.
    const body = patch?.mergePatch as Json | undefined;
    if (body !== undefined) item.status = "status" in body ? body.status : body;
  }
  writeContext(full.steady, bindings, objects);
  return { executable, index, dirs: full, runs: { empty: [], first: [], steady: [] } };
}

function main(argv: string[]): void {
  const options = { swhs: 1000, endpoints: 10000, runs: 15 };
  const executables: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const key = arg.replace(/^--/, "") as keyof typeof options;
    if (arg.startsWith("--") && key in options) options[key] = Number(argv[++i]);
    else executables.push(arg);
  }
  if (executables.length === 0) {
    throw new Error(
      "usage: compare-builds.ts [--swhs 1000] [--endpoints 10000] [--runs 15] <swh-hooks>...",
    );
  }
  const scale = {
    swhs: options.swhs,
    perSwh: Math.max(1, Math.round(options.endpoints / options.swhs)),
  };
  process.stdout.write(
    `${scale.swhs} SWHs, ${scale.swhs * scale.perSwh} endpoints on ${NODES} nodes, ` +
      `${options.runs} interleaved runs per case\n`,
  );
  const root = mkdtempSync(path.join(os.tmpdir(), "swh-status-bench-"));
  try {
    const subjects = executables.map(e => prepare(e, scale, root));
    // Interleaved rounds: load from other processes on the machine hits every subject alike.
    for (let round = 0; round < options.runs; round++) {
      for (const s of subjects) {
        s.runs.empty.push(runOnce(s.executable, s.index, s.dirs.empty));
        s.runs.first.push(runOnce(s.executable, s.index, s.dirs.first));
        s.runs.steady.push(runOnce(s.executable, s.index, s.dirs.steady));
      }
    }
    for (const s of subjects) {
      process.stdout.write(
        `${s.executable}\n` +
          summary("empty context (process floor)", s.runs.empty) +
          summary("first run (every status written)", s.runs.first) +
          summary("steady state (nothing changed)", s.runs.steady),
      );
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main(process.argv.slice(2));
