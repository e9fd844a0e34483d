// Reads an OCI image layout archive back, as a registry client or containerd would: index.json,
// the manifest it names, the image config, and the entries of each layer (path, type, owner,
// mode). The unit tests hold the built images to their recipes with it.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTool } from "./proc.js";

/** One entry of a layer, as `tar -tv --numeric-owner` shows it. */
export interface LayerEntry {
  /** Without a leading `./` or `/`, directories without a trailing slash. */
  readonly path: string;
  /** `-` file, `d` directory, `l` symlink, `h` hard link, ... */
  readonly type: string;
  readonly mode: string;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly linkTarget?: string;
}

/** An image read back from its archive. */
export interface ImageContents {
  readonly index: IndexJson;
  readonly manifestDigest: string;
  readonly manifest: ManifestJson;
  readonly config: ConfigJson;
  readonly layers: readonly (readonly LayerEntry[])[];
}

interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Record<string, string>;
}

export interface IndexJson {
  readonly schemaVersion: number;
  readonly manifests: readonly Descriptor[];
}

export interface ManifestJson {
  readonly mediaType: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
}

export interface ConfigJson {
  readonly architecture: string;
  readonly os: string;
  readonly config: {
    readonly User?: string;
    readonly Entrypoint?: string[];
    readonly Cmd?: string[];
    readonly Env?: string[];
    readonly WorkingDir?: string;
  };
  readonly rootfs: { readonly type: string; readonly diff_ids: string[] };
}

/** Parses one line of `tar -tv --numeric-owner --quoting-style=literal`. */
export function parseTarLine(line: string): LayerEntry {
  const m = /^(\S)(\S{9})\s+(\d+)\/(\d+)\s+(\d+)\s+\S+\s+\S+\s+(.*)$/.exec(line);
  if (!m) throw new Error(`unexpected tar listing line: ${line}`);
  const [, type = "", mode = "", uid = "", gid = "", size = "", rest = ""] = m;
  const arrow = type === "l" ? " -> " : type === "h" ? " link to " : undefined;
  const [name = rest, linkTarget] = arrow ? rest.split(arrow) : [rest];
  const path = name.replace(/^\.?\/+/, "").replace(/\/$/, "");
  return { path, type, mode, uid: +uid, gid: +gid, size: +size, linkTarget };
}

const blobPath = (dir: string, digest: string): string =>
  join(dir, "blobs", "sha256", digest.replace(/^sha256:/, ""));

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, "utf8")) as T;
}

async function listLayer(file: string): Promise<LayerEntry[]> {
  const { stdout } = await runTool("tar", [
    "-tvzf",
    file,
    "--numeric-owner",
    "--quoting-style=literal",
  ]);
  return stdout
    .split("\n")
    .filter(l => l !== "")
    .map(parseTarLine)
    .filter(e => e.path !== "" && e.path !== ".");
}

/** Reads `archive` (written by oci.ts or any OCI layout tar with one manifest). */
export async function readOciArchive(archive: string): Promise<ImageContents> {
  const dir = await mkdtemp(join(tmpdir(), "swh-oci-read-"));
  try {
    await runTool("tar", ["-xf", archive, "-C", dir]);
    const index = await readJson<IndexJson>(join(dir, "index.json"));
    const [descriptor] = index.manifests;
    if (!descriptor || index.manifests.length !== 1)
      throw new Error(`${archive}: expected one manifest in index.json`);
    const manifest = await readJson<ManifestJson>(blobPath(dir, descriptor.digest));
    const config = await readJson<ConfigJson>(blobPath(dir, manifest.config.digest));
    const layers: LayerEntry[][] = [];
    for (const layer of manifest.layers) layers.push(await listLayer(blobPath(dir, layer.digest)));
    return { index, manifestDigest: descriptor.digest, manifest, config, layers };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
