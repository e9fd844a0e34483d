// Reads what an image recipe says about its final image from the Dockerfile itself
// (images/<name>/Dockerfile), so the image built here and the one CI builds come from one
// definition: the final stage's `COPY --from=<stage> [--chown=U:G] <src> <dst>`, `USER`,
// `ENTRYPOINT`/`CMD` (exec form), `ENV` and `WORKDIR`, plus each named stage's WORKDIR so a
// `--from` source path maps back to the build context. Only what the module's Dockerfiles use
// is understood; anything else in the final stage is refused rather than ignored.

/** One `COPY` of the final stage. */
export interface DockerCopy {
  /** `--from=` stage name, undefined when copied from the build context. */
  readonly from?: string;
  readonly chown?: { readonly uid: number; readonly gid: number };
  readonly sources: readonly string[];
  readonly destination: string;
}

/** The final stage, as far as the image config and its files go. */
export interface FinalStage {
  readonly base: string;
  readonly copies: readonly DockerCopy[];
  readonly user?: string;
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  readonly env: readonly string[];
  readonly workdir?: string;
}

/** A parsed Dockerfile: the final stage and each named stage's last WORKDIR. */
export interface ParsedDockerfile {
  readonly final: FinalStage;
  readonly stageWorkdirs: ReadonlyMap<string, string>;
}

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** Instructions per stage (continuation lines joined, comments and blank lines dropped). */
function stages(text: string): { from: string; name?: string; body: Instruction[] }[] {
  const out: { from: string; name?: string; body: Instruction[] }[] = [];
  const lines = text
    .replace(/\\\r?\n/g, " ")
    .split("\n")
    .map(l => l.trim())
    .filter(l => l !== "" && !l.startsWith("#"));
  for (const line of lines) {
    const [word = "", ...rest] = line.split(/\s+/);
    const op = word.toUpperCase();
    const args = rest.join(" ");
    if (op === "FROM") {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      out.push({ from: m?.[1] ?? args, name: m?.[2], body: [] });
    } else out.at(-1)?.body.push({ op, args });
  }
  return out;
}

/** An exec-form JSON array (`["a", "b"]`); shell form is refused: the images have no shell. */
export function execForm(op: string, args: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    throw new Error(`${op} must use the exec (JSON array) form: ${args}`);
  }
  if (!Array.isArray(parsed) || !parsed.every(a => typeof a === "string"))
    throw new Error(`${op} must be a JSON array of strings: ${args}`);
  return parsed;
}

function numericId(text: string | undefined, what: string): number {
  if (text === undefined || !/^\d+$/.test(text))
    throw new Error(`${what} must be numeric (uid:gid), got ${String(text)}`);
  return Number(text);
}

/** Parses a `COPY` instruction's arguments. */
export function parseCopy(args: string): DockerCopy {
  const words = args.split(/\s+/);
  let from: string | undefined;
  let chown: DockerCopy["chown"];
  while (words[0]?.startsWith("--")) {
    const flag = words.shift() ?? "";
    const [name, value = ""] = flag.slice(2).split("=", 2);
    if (name === "from") from = value;
    else if (name === "chown") {
      const [u, g = u] = value.split(":");
      chown = { uid: numericId(u, "--chown user"), gid: numericId(g, "--chown group") };
    } else throw new Error(`COPY flag ${flag} is not supported here`);
  }
  const destination = words.pop();
  if (destination === undefined || words.length === 0)
    throw new Error(`COPY needs a source and a destination: ${args}`);
  return { from, chown, sources: words, destination };
}

function finalStage(base: string, body: readonly Instruction[]): FinalStage {
  const copies: DockerCopy[] = [];
  const env: string[] = [];
  let stage: FinalStage = { base, copies, env };
  for (const { op, args } of body) {
    if (op === "COPY") copies.push(parseCopy(args));
    else if (op === "USER") stage = { ...stage, user: args };
    else if (op === "ENTRYPOINT") stage = { ...stage, entrypoint: execForm(op, args) };
    else if (op === "CMD") stage = { ...stage, cmd: execForm(op, args) };
    else if (op === "WORKDIR") stage = { ...stage, workdir: args };
    else if (op === "ENV") env.push(envPair(args));
    else if (op !== "ARG" && op !== "LABEL")
      throw new Error(`${op} in the final stage is not supported by the image builder`);
  }
  return stage;
}

/** `ENV KEY=VALUE` (one pair) as `KEY=VALUE`; the legacy `ENV KEY VALUE` form too. */
function envPair(args: string): string {
  const eq = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(args);
  if (eq) return `${eq[1]}=${eq[2]?.replace(/^"(.*)"$/, "$1")}`;
  const [key = "", ...value] = args.split(/\s+/);
  return `${key}=${value.join(" ")}`;
}

/** Parses a Dockerfile's text. */
export function parseDockerfile(text: string): ParsedDockerfile {
  const all = stages(text);
  const last = all.at(-1);
  if (!last) throw new Error("the Dockerfile has no FROM");
  const stageWorkdirs = new Map<string, string>();
  for (const s of all.slice(0, -1)) {
    const workdir = s.body.filter(i => i.op === "WORKDIR").at(-1)?.args;
    if (s.name && workdir) stageWorkdirs.set(s.name, workdir);
  }
  return { final: finalStage(last.from, last.body), stageWorkdirs };
}

/**
 * Where a `COPY --from=<stage>` source lives in the build context: the stage's WORKDIR is where
 * the repository was copied to, so `/src/build/agent/agent.mjs` is `build/agent/agent.mjs`.
 */
export function contextPath(parsed: ParsedDockerfile, copy: DockerCopy, source: string): string {
  if (copy.from === undefined) return source.replace(/^\/+/, "");
  const workdir = parsed.stageWorkdirs.get(copy.from);
  if (!workdir) throw new Error(`stage ${copy.from} has no WORKDIR to map ${source} from`);
  const prefix = workdir.endsWith("/") ? workdir : `${workdir}/`;
  if (!source.startsWith(prefix))
    throw new Error(`${source} is outside stage ${copy.from}'s WORKDIR ${workdir}`);
  return source.slice(prefix.length);
}
