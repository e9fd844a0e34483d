// Builds the images of recipes.ts into OCI archives, `~/.cache/swh-testenv/images/<name>.oci.tar`,
// and imports them into a containerd. A build is skipped when its fingerprint (the recipe's
// plan: config, Debian packages at their versions, the contents of the files it bakes in and of
// the builder's own sources) matches the one recorded next to the archive. Builds are serialised
// by a lock, so parallel jest workers build each image once.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { cacheDir } from "../../testenv/layout.js";
import { withLock } from "../../testenv/lock.js";
import { repoRoot } from "../layout.js";
import { extractDebs, fetchDebs, resolvePackages, type DebPackage } from "./debian-rootfs.js";
import { fileDigest, refRepository, writeOciArchive } from "./oci.js";
import { runTool } from "./proc.js";
import { RECIPES, recipe, type ImagePlan, type Recipe } from "./recipes.js";

/** One built image. */
export interface BuiltImage {
  readonly name: string;
  /** e.g. `swh.local/modules/agent:dev`. */
  readonly ref: string;
  readonly archive: string;
  /** The manifest digest, `sha256:<hex>`. */
  readonly digest: string;
}

/** How to build. */
export interface BuildOptions {
  /** Where the archives go; default `<cache>/images`. */
  readonly dir?: string;
  /** Build even when the fingerprint matches. */
  readonly force?: boolean;
  readonly log?: (line: string) => void;
}

interface BuildRecord {
  readonly fingerprint: string;
  readonly ref: string;
  readonly digest: string;
}

/** `<cache>/images`: archives, their fingerprints, the .deb cache. */
export function imagesDir(): string {
  return join(cacheDir(), "images");
}

type HashMemo = { [path: string]: { size: number; mtimeMs: number; digest: string } };

/** Content digest of `file`, reusing the memo while its size and mtime stay the same. */
async function memoDigest(file: string, memo: HashMemo): Promise<string> {
  const st = statSync(file);
  const known = memo[file];
  if (known && known.size === st.size && known.mtimeMs === st.mtimeMs) return known.digest;
  const digest = await fileDigest(file);
  memo[file] = { size: st.size, mtimeMs: st.mtimeMs, digest };
  return digest;
}

/** The builder's own sources (this directory), so changing how images are made rebuilds them. */
function builderSources(): string[] {
  const here = join(repoRoot(), "tests", "cluster", "images");
  return readdirSync(here)
    .filter(f => f.endsWith(".ts") || f.endsWith(".c"))
    .sort()
    .map(f => join(here, f));
}

/** The input fingerprint of one plan. */
export async function fingerprint(
  r: Recipe,
  plan: ImagePlan,
  packages: readonly DebPackage[],
  memo: HashMemo,
): Promise<string> {
  const files: string[] = [];
  for (const f of [...plan.inputs, ...builderSources()])
    files.push(`${f} ${await memoDigest(f, memo)}`);
  const debs = packages.map(p => `${p.name}=${p.version}/${p.arch}`);
  const doc = { ref: r.ref, config: plan.config, debs, files, notes: plan.notes };
  return createHash("sha256").update(JSON.stringify(doc)).digest("hex");
}

async function readJsonFile<T>(file: string): Promise<T | undefined> {
  if (!existsSync(file)) return undefined;
  return JSON.parse(await readFile(file, "utf8")) as T;
}

async function buildRootfsAndArchive(
  r: Recipe,
  plan: ImagePlan,
  packages: readonly DebPackage[],
  archive: string,
): Promise<string> {
  const rootfs = await mkdtemp(join(dirname(archive), `.rootfs-${r.name}-`));
  try {
    await extractDebs(await fetchDebs(packages), rootfs);
    const ownership = await plan.populate(rootfs);
    const built = await writeOciArchive(
      { rootfs, config: plan.config, ownership, ref: r.ref },
      archive,
    );
    return built.digest;
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
}

interface Planned {
  readonly recipe: Recipe;
  readonly plan: ImagePlan;
  readonly packages: readonly DebPackage[];
}

/** Plans every recipe, resolving the packages of all of them in one apt-cache call. */
async function planAll(
  recipes: readonly Recipe[],
  log: (line: string) => void,
): Promise<Planned[]> {
  const plans: { recipe: Recipe; plan: ImagePlan }[] = [];
  for (const r of recipes) plans.push({ recipe: r, plan: await r.plan(log) });
  const resolved = await resolvePackages(plans.flatMap(p => p.plan.packages));
  return plans.map(p => ({
    ...p,
    packages: resolved.filter(d => p.plan.packages.includes(d.name)),
  }));
}

async function buildOne(
  p: Planned,
  dir: string,
  opts: BuildOptions,
  memo: HashMemo,
): Promise<BuiltImage> {
  const { recipe: r, plan, packages } = p;
  const log = opts.log ?? (() => undefined);
  const fp = await fingerprint(r, plan, packages, memo);
  const archive = join(dir, `${r.name}.oci.tar`);
  const recordFile = `${archive}.json`;
  const record = await readJsonFile<BuildRecord>(recordFile);
  if (!opts.force && existsSync(archive) && record?.fingerprint === fp && record.ref === r.ref)
    return { name: r.name, ref: r.ref, archive, digest: record.digest };
  log(`building image ${r.ref} (${packages.length} Debian packages)`);
  const started = Date.now();
  await rm(recordFile, { force: true });
  const digest = await buildRootfsAndArchive(r, plan, packages, archive);
  await writeFile(
    recordFile,
    `${JSON.stringify({ fingerprint: fp, ref: r.ref, digest }, null, 2)}\n`,
  );
  log(`built ${r.ref} ${digest} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return { name: r.name, ref: r.ref, archive, digest };
}

/** Builds `names` (default: every recipe) unless up to date; one entry per image, in order. */
export async function buildImages(
  names: readonly string[] = [...RECIPES.keys()],
  opts: BuildOptions = {},
): Promise<BuiltImage[]> {
  const recipes = names.map(recipe);
  const dir = opts.dir ?? imagesDir();
  await mkdir(imagesDir(), { recursive: true });
  await mkdir(dir, { recursive: true });
  return withLock(join(imagesDir(), ".build.lock"), 30 * 60_000, async () => {
    const memoFile = join(imagesDir(), "input-digests.json");
    const memo = (await readJsonFile<HashMemo>(memoFile)) ?? {};
    const out: BuiltImage[] = [];
    try {
      const planned = await planAll(recipes, opts.log ?? (() => undefined));
      for (const p of planned) out.push(await buildOne(p, dir, opts, memo));
    } finally {
      await writeFile(memoFile, JSON.stringify(memo));
    }
    return out;
  });
}

/** The `<repository>@<digest>` reference the chart renders for an image. */
export function digestRef(image: BuiltImage): string {
  return `${refRepository(image.ref)}@${image.digest}`;
}

/**
 * Imports the archives into the containerd at `socket` (namespace k8s.io, unpacked for
 * `snapshotter`, default containerd's) and tags each as `<repository>@<digest>` too, so the
 * digest reference the chart renders resolves without a registry.
 */
export async function importImages(
  socket: string,
  images: readonly BuiltImage[],
  snapshotter?: string,
): Promise<void> {
  const ctr = ["--address", socket, "-n", "k8s.io", "images"];
  const snap = snapshotter ? [`--snapshotter=${snapshotter}`] : [];
  for (const image of images) {
    await runTool("ctr", [...ctr, "import", "--no-unpack=false", ...snap, image.archive]);
    await runTool("ctr", [...ctr, "tag", "--force", image.ref, digestRef(image)]);
  }
}
