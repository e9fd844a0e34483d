// One run of a batch hook, as addon-operator performs it: the binding context, values and config
// values go into files, `<executable> hook run <index>` runs with their paths in the environment
// (plus the module's name), and after a successful exit the output files are read: Kubernetes
// operations, metrics, and values patches. A failed run carries the tail of the hook's stderr.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { MetricOperation, PatchOperation } from "shell-operator-ts-hooks";
import { parseJsonStream } from "./patch-apply.js";
import type { ValuesPatchOp } from "../module/settings.js";

/** What a run needs. */
export interface HookRunInput {
  readonly executable: string;
  readonly index: number;
  readonly hookName: string;
  readonly bindingContext: readonly unknown[];
  readonly values: unknown;
  readonly configValues: unknown;
  /** Parent of the run's temporary directory. */
  readonly tmpDir: string;
  /** Extra environment (MODULE_NAME, ...). */
  readonly env: Readonly<Record<string, string>>;
  /** Receives every line the hook prints. */
  readonly onOutput: (line: string) => void;
  readonly timeoutMs: number;
}

/** What a successful run produced. */
export interface HookRunOutput {
  readonly operations: PatchOperation[];
  readonly metrics: MetricOperation[];
  readonly valuesPatch: ValuesPatchOp[];
  readonly configValuesPatch: ValuesPatchOp[];
  readonly durationMs: number;
}

const OUTPUT_FILES = {
  KUBERNETES_PATCH_PATH: "kubernetes-patch.json",
  METRICS_PATH: "metrics.json",
  VALUES_JSON_PATCH_PATH: "values-patch.json",
  CONFIG_VALUES_JSON_PATCH_PATH: "config-values-patch.json",
} as const;

/** Values patch files hold a stream of RFC 6902 arrays or single operations. */
function flattenPatches(items: unknown[]): ValuesPatchOp[] {
  return items.flatMap(item =>
    Array.isArray(item) ? (item as ValuesPatchOp[]) : [item as ValuesPatchOp],
  );
}

function exec(
  input: HookRunInput,
  env: Record<string, string>,
): Promise<{ code: number; tail: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(input.executable, ["hook", "run", String(input.index)], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: input.timeoutMs,
      killSignal: "SIGKILL",
    });
    let tail = "";
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString("utf8");
      tail = (tail + text).slice(-4000);
      for (const line of text.split("\n")) if (line.trim() !== "") input.onOutput(line);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", err => reject(new Error(`cannot run ${input.executable}`, { cause: err })));
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), tail }));
  });
}

/** Runs the hook once; throws when it exits non-zero or writes malformed output. */
export async function runHook(input: HookRunInput): Promise<HookRunOutput> {
  const dir = await mkdtemp(join(input.tmpDir, `hook-${input.hookName}-`));
  const started = Date.now();
  try {
    const env: Record<string, string> = {
      ...input.env,
      BINDING_CONTEXT_PATH: join(dir, "binding-context.json"),
      VALUES_PATH: join(dir, "values.json"),
      CONFIG_VALUES_PATH: join(dir, "config-values.json"),
    };
    await writeFile(env.BINDING_CONTEXT_PATH!, JSON.stringify(input.bindingContext));
    await writeFile(env.VALUES_PATH!, JSON.stringify(input.values));
    await writeFile(env.CONFIG_VALUES_PATH!, JSON.stringify(input.configValues));
    for (const [name, file] of Object.entries(OUTPUT_FILES)) {
      env[name] = join(dir, file);
      await writeFile(env[name], "");
    }
    const { code, tail } = await exec(input, env);
    if (code !== 0) {
      throw new Error(
        `hook ${input.hookName} exited with code ${code}: ${tail.trim().slice(-1500)}`,
      );
    }
    const read = async (name: keyof typeof OUTPUT_FILES): Promise<unknown[]> => {
      try {
        return parseJsonStream(await readFile(env[name]!, "utf8"));
      } catch (err) {
        throw new Error(`hook ${input.hookName} wrote a malformed ${name} file`, { cause: err });
      }
    };
    return {
      operations: (await read("KUBERNETES_PATCH_PATH")) as PatchOperation[],
      metrics: (await read("METRICS_PATH")) as MetricOperation[],
      valuesPatch: flattenPatches(await read("VALUES_JSON_PATCH_PATH")),
      configValuesPatch: flattenPatches(await read("CONFIG_VALUES_JSON_PATCH_PATH")),
      durationMs: Date.now() - started,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
