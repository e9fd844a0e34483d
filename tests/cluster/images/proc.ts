// Runs the host tools the image builder drives (tar, gzip, apt-get, dpkg, ldd, gcc, ctr): one
// call, output captured, and a failure that names the command and carries its stderr.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** Options of one tool run. */
export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Default ten minutes. */
  readonly timeoutMs?: number;
}

/** What a finished run printed. */
export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command` and resolves with its output; rejects with its stderr when it fails. */
export async function runTool(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  try {
    const { stdout, stderr } = await execFileAsync(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      maxBuffer: 64 << 20,
      timeout: options.timeoutMs ?? 10 * 60_000,
      encoding: "utf8",
    });
    return { stdout, stderr };
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; code?: number | string };
    const detail = (e.stderr ?? "").trim() || (e.stdout ?? "").trim() || String(err);
    throw new Error(`${command} ${args.join(" ")} failed (${String(e.code)}): ${detail}`, {
      cause: err,
    });
  }
}

/** Like runTool, but resolves with the exit code instead of rejecting on a non-zero exit. */
export async function probeTool(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult & { readonly code: number }> {
  try {
    return { ...(await runTool(command, args, options)), code: 0 };
  } catch (err) {
    const cause = (err as { cause?: { code?: unknown; stdout?: string; stderr?: string } }).cause;
    if (typeof cause?.code !== "number") throw err;
    return { stdout: cause.stdout ?? "", stderr: cause.stderr ?? "", code: cause.code };
  }
}
