// Runs the hook-scaling benchmark (BRIEF §7 "A hook run ≤ 300 ms with 1,000 SWHs and 10,000
// pods, growing linearly"): builds the hooks executable as shipped, generates clusters of 100,
// 1,000 and 10,000 SWHs (10 pods each, so 1,000/10,000/100,000 pods as endpoints of the agents'
// slices, among their namespaces and ten times as many other apps' Services: cluster.ts), and
// times `swh-hooks hook run N` for every hook with kubernetes bindings under /usr/bin/time: wall
// time and peak RSS, median of repeated runs. Each round's patch operations are applied to the
// objects and the hooks run again, so both the first run after an upgrade (every status to write)
// and the steady state (nothing to write) are measured.

import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { execFile } from "node:child_process";
import { MANAGED_BY_VALUE } from "../../api/contract.js";
import { describeMachine, loadNow } from "../lib/machine.js";
import { BUNDLE_DIR, NODE, REPO_ROOT } from "../lib/paths.js";
import { ensureTools } from "../lib/setup.js";
import { median } from "../lib/stats.js";
import { ContextBuilder, hookEntries, type HookEntry } from "./contexts.js";
import { countObjects, generateCluster, WORKLOAD_DESCRIPTION } from "./cluster.js";
import { scales, type Scale } from "./objects.js";
import type { HookMeasurement, HookResults, HookState } from "./result.js";
import { ObjectStore, type PatchOp } from "./store.js";

const execFileAsync = promisify(execFile);
/** Rounds of run-and-apply before a state counts as not converging. */
const MAX_ROUNDS = 4;

/** Options of runHooks. */
export interface HooksOptions {
  readonly quick: boolean;
  readonly log: (line: string) => void;
}

/** Builds build/bench/hooks/swh-hooks from the current sources (as scripts/build-hooks.mjs does). */
async function buildExecutable(log: (line: string) => void): Promise<string> {
  const outDir = join(BUNDLE_DIR, "hooks");
  log("hooks: building the hooks executable (scripts/build-hooks.mjs)");
  try {
    await execFileAsync(
      NODE,
      [join(REPO_ROOT, "scripts", "build-hooks.mjs"), "--out-dir", outDir],
      {
        cwd: REPO_ROOT,
        timeout: 600_000,
      },
    );
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(`building the hooks executable failed: ${stderr}`, { cause: error });
  }
  return join(outDir, "swh-hooks");
}

interface RunFiles {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
}

const FILES = {
  BINDING_CONTEXT_PATH: "context.json",
  VALUES_PATH: "values.json",
  CONFIG_VALUES_PATH: "config-values.json",
  VALUES_JSON_PATCH_PATH: "values-patch.json",
  CONFIG_VALUES_JSON_PATCH_PATH: "config-values-patch.json",
  METRICS_PATH: "metrics.json",
  KUBERNETES_PATCH_PATH: "patch.json",
} as const;

async function prepareFiles(dir: string, context: unknown[]): Promise<RunFiles> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, FILES.BINDING_CONTEXT_PATH), JSON.stringify(context));
  await writeFile(
    join(dir, FILES.VALUES_PATH),
    JSON.stringify({ global: {}, serviceWithHealthchecks: {} }),
  );
  await writeFile(
    join(dir, FILES.CONFIG_VALUES_PATH),
    JSON.stringify({ serviceWithHealthchecks: {} }),
  );
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    MODULE_NAME: "service-with-healthchecks",
  };
  for (const [key, file] of Object.entries(FILES)) env[key] = join(dir, file);
  return { dir, env };
}

interface OneRun {
  readonly wallMs: number;
  readonly peakRssMiB: number;
}

/** One `hook run` under /usr/bin/time; throws with stderr when the hook fails. */
async function runOnce(executable: string, index: number, files: RunFiles): Promise<OneRun> {
  for (const file of [
    "metrics.json",
    "patch.json",
    "values-patch.json",
    "config-values-patch.json",
  ]) {
    await writeFile(join(files.dir, file), "");
  }
  const timeFile = join(files.dir, "time.txt");
  const started = performance.now();
  const child = spawn(
    "/usr/bin/time",
    ["-f", "%M", "-o", timeFile, executable, "hook", "run", String(index)],
    {
      env: files.env,
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4_000);
  });
  const code = await new Promise<number | null>(resolve => child.on("exit", c => resolve(c)));
  const wallMs = performance.now() - started;
  if (code !== 0) throw new Error(`hook run ${index} exited ${code}: ${stderr}`);
  const kib = Number((await readFile(timeFile, "utf8")).trim().split("\n").at(-1));
  return { wallMs, peakRssMiB: kib / 1024 };
}

async function readOperations(dir: string): Promise<PatchOp[]> {
  const text = await readFile(join(dir, FILES.KUBERNETES_PATCH_PATH), "utf8");
  return text
    .split("\n")
    .filter(line => line.trim() !== "")
    .map(line => JSON.parse(line) as PatchOp);
}

function countByOperation(ops: readonly PatchOp[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const op of ops) {
    const key =
      typeof op.subresource === "string" ? `${op.operation}/${op.subresource}` : op.operation;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

interface RoundInput {
  readonly executable: string;
  readonly hooks: readonly HookEntry[];
  readonly scale: Scale;
  readonly slices: number;
  readonly objects: Record<string, number>;
  readonly repeats: number;
  readonly scratch: string;
}

/** Runs every hook on the store's current state; returns the measurements and all operations. */
async function round(
  input: RoundInput,
  store: ObjectStore,
  roundNumber: number,
): Promise<{ measurements: Omit<HookMeasurement, "state">[]; ops: PatchOp[] }> {
  const builder = new ContextBuilder(store.all(), input.scratch);
  const measurements: Omit<HookMeasurement, "state">[] = [];
  const ops: PatchOp[] = [];
  for (const hook of input.hooks) {
    const context = builder.context(hook);
    const files = await prepareFiles(join(input.scratch, hook.name), context);
    const runs: OneRun[] = [];
    for (let r = 0; r < input.repeats; r++)
      runs.push(await runOnce(input.executable, hook.index, files));
    const hookOps = await readOperations(files.dir);
    ops.push(...hookOps);
    const walls = runs.map(r => r.wallMs);
    measurements.push({
      hook: hook.name,
      swhs: input.scale.swhs,
      pods: input.scale.swhs * input.scale.podsPerSwh,
      slices: input.slices,
      objects: input.objects,
      snapshotItems: snapshotSizes(context),
      round: roundNumber,
      wallMs: median(walls),
      wallMinMs: Math.min(...walls),
      wallMaxMs: Math.max(...walls),
      peakRssMiB: median(runs.map(r => r.peakRssMiB)),
      contextMiB: (await stat(join(files.dir, FILES.BINDING_CONTEXT_PATH))).size / 2 ** 20,
      operations: countByOperation(hookOps),
      repeats: input.repeats,
    });
  }
  return { measurements, ops };
}

/** Items per binding in a Group context as ContextBuilder makes it. */
function snapshotSizes(context: readonly unknown[]): Record<string, number> {
  const [group] = context as Array<{ snapshots?: Record<string, unknown[]> }>;
  const sizes: Record<string, number> = {};
  for (const [name, items] of Object.entries(group?.snapshots ?? {})) sizes[name] = items.length;
  return sizes;
}

function stateOf(roundNumber: number, ops: number, last: boolean): HookState | undefined {
  if (roundNumber === 1) return "first";
  if (ops === 0) return "steady";
  return last ? "unconverged" : undefined;
}

async function measureScale(
  executable: string,
  hooks: readonly HookEntry[],
  scale: Scale,
  options: HooksOptions,
): Promise<HookMeasurement[]> {
  const scratch = await mkdtemp(join(tmpdir(), "swh-bench-hooks-"));
  try {
    const cluster = generateCluster(scale, new Date());
    const objects = countObjects(cluster.objects);
    const slices = objects[`EndpointSlice (${MANAGED_BY_VALUE})`] ?? 0;
    const store = new ObjectStore(cluster.objects);
    const input: RoundInput = {
      executable,
      hooks,
      scale,
      slices,
      objects,
      repeats: options.quick ? 3 : 5,
      scratch,
    };
    const results: HookMeasurement[] = [];
    for (let n = 1; n <= MAX_ROUNDS; n++) {
      const { measurements, ops } = await round(input, store, n);
      const state = stateOf(n, ops.length, n === MAX_ROUNDS);
      if (state !== undefined) results.push(...measurements.map(m => ({ ...m, state })));
      const summary = measurements.map(m => `${m.hook} ${m.wallMs.toFixed(0)} ms`).join(", ");
      options.log(`hooks: ${scale.swhs} SWHs round ${n}: ${summary}; ${ops.length} operations`);
      if (n > 1 && ops.length === 0) break;
      for (const op of ops) store.apply(op);
    }
    return results;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Runs the hooks part and returns its results. */
export async function runHooks(options: HooksOptions): Promise<HookResults> {
  ensureTools(["jq", "time"], options.log);
  const startedAt = loadNow();
  const executable = await buildExecutable(options.log);
  const hooks = hookEntries(executable);
  const runs: HookMeasurement[] = [];
  for (const scale of scales(options.quick)) {
    runs.push(...(await measureScale(executable, hooks, scale, options)));
  }
  return {
    part: "hooks",
    quick: options.quick,
    machine: describeMachine(),
    executableMiB: (await stat(executable)).size / 2 ** 20,
    workload: WORKLOAD_DESCRIPTION,
    startedAt,
    finishedAt: loadNow(),
    runs,
  };
}
