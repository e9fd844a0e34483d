// Writes an OCI image layout archive (oci-layout, index.json, blobs/sha256/...) from a root
// filesystem directory, with no Docker engine and no registry: one gzip layer made by GNU tar
// (sorted names, mtime 0, numeric owners, root-owned unless a path is given an owner of its
// own), the image config, the manifest and an index naming the image the way containerd's
// importer reads it. The same inputs give the same manifest digest, which is what the chart
// refers to (`<repository>@<manifest digest>`).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, openSync, closeSync } from "node:fs";
import { mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { runTool } from "./proc.js";

export const MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const MEDIA_INDEX = "application/vnd.oci.image.index.v1+json";
export const MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json";
export const MEDIA_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
/** The annotation containerd's importer takes the image name from. */
export const ANNOTATION_CONTAINERD_NAME = "io.containerd.image.name";
export const ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name";

/** The runtime part of an image config (`config` in the OCI config JSON). */
export interface ImageConfig {
  readonly user: string;
  readonly entrypoint: readonly string[];
  readonly cmd?: readonly string[];
  readonly env: readonly string[];
  readonly workingDir: string;
}

/** A path of the root filesystem (relative, no leading slash) stored with its own owner. */
export interface Ownership {
  readonly path: string;
  readonly uid: number;
  readonly gid: number;
}

/** Everything one image is made of. */
export interface OciImageSpec {
  readonly rootfs: string;
  readonly config: ImageConfig;
  readonly ownership: readonly Ownership[];
  /** Full reference, e.g. `swh.local/modules/agent:dev`. */
  readonly ref: string;
}

/** What writeOciArchive produced. */
export interface OciArchive {
  /** The manifest digest, `sha256:<hex>`. */
  readonly digest: string;
  readonly layerDigest: string;
  readonly diffId: string;
  /** Bytes of the compressed layer. */
  readonly layerSize: number;
}

interface Blob {
  readonly digest: string;
  readonly size: number;
}

const TAR_FLAGS = ["--sort=name", "--mtime=@0", "--numeric-owner", "--format=gnu"];

/** sha256 of a file, as `sha256:<hex>`. */
export async function fileDigest(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest("hex")}`;
}

/** The tag of a reference (`dev` of `swh.local/modules/agent:dev`). */
export function refTag(ref: string): string {
  const colon = ref.lastIndexOf(":");
  if (colon < 0 || colon < ref.lastIndexOf("/")) throw new Error(`reference ${ref} has no tag`);
  return ref.slice(colon + 1);
}

/** The repository of a reference (`swh.local/modules/agent` of `...agent:dev`). */
export function refRepository(ref: string): string {
  return ref.slice(0, ref.length - refTag(ref).length - 1);
}

/** GNU tar arguments that write the uncompressed layer, in order: a create, then appends. */
export function layerTarCommands(
  top: readonly string[],
  ownership: readonly Ownership[],
): string[][] {
  const owned = ownership
    .map(o => ({ ...o, path: posix.normalize(o.path.replace(/^\/+/, "")) }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  const excludes = owned.map(o => `--exclude=${o.path}`);
  const create = [...TAR_FLAGS, "--owner=0", "--group=0", "--anchored", "--no-wildcards"];
  const commands = [[...create, ...excludes, "-cf", "LAYER", "--", ...top]];
  for (const o of owned) {
    const owner = [`--owner=${o.uid}`, `--group=${o.gid}`];
    commands.push([...TAR_FLAGS, ...owner, "-rf", "LAYER", "--", o.path]);
  }
  return commands;
}

async function writeLayerTar(spec: OciImageSpec, out: string): Promise<void> {
  const top = (await readdir(spec.rootfs)).sort();
  if (top.length === 0) throw new Error(`root filesystem ${spec.rootfs} is empty`);
  for (const args of layerTarCommands(top, spec.ownership)) {
    await runTool(
      "tar",
      args.map(a => (a === "LAYER" ? out : a)),
      { cwd: spec.rootfs },
    );
  }
}

/** `gzip -n` (no name, no timestamp) of `src` into `dst`. */
async function gzipFile(src: string, dst: string): Promise<void> {
  const fd = openSync(dst, "w");
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn("gzip", ["-n", "-c", src], { stdio: ["ignore", fd, "pipe"] });
      let stderr = "";
      child.stderr?.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
      child.on("error", reject);
      child.on("close", code =>
        code === 0 ? resolve() : reject(new Error(`gzip ${src} failed (${code}): ${stderr}`)),
      );
    });
  } finally {
    closeSync(fd);
  }
}

async function putBlob(dir: string, bytes: Buffer): Promise<Blob> {
  const hex = createHash("sha256").update(bytes).digest("hex");
  await writeFile(join(dir, "blobs", "sha256", hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}

/** The image config JSON. */
export function configJson(config: ImageConfig, diffIds: readonly string[]): unknown {
  return {
    created: "1970-01-01T00:00:00Z",
    architecture: "amd64",
    os: "linux",
    config: {
      User: config.user,
      Env: config.env,
      Entrypoint: config.entrypoint,
      ...(config.cmd ? { Cmd: config.cmd } : {}),
      WorkingDir: config.workingDir,
    },
    rootfs: { type: "layers", diff_ids: diffIds },
  };
}

/** The manifest JSON of a one-config, one-layer image. */
export function manifestJson(config: Blob, layer: Blob): unknown {
  return {
    schemaVersion: 2,
    mediaType: MEDIA_MANIFEST,
    config: { mediaType: MEDIA_CONFIG, digest: config.digest, size: config.size },
    layers: [{ mediaType: MEDIA_LAYER, digest: layer.digest, size: layer.size }],
  };
}

/** The index.json naming the manifest with both annotations. */
export function indexJson(manifest: Blob, ref: string): unknown {
  return {
    schemaVersion: 2,
    mediaType: MEDIA_INDEX,
    manifests: [
      {
        mediaType: MEDIA_MANIFEST,
        digest: manifest.digest,
        size: manifest.size,
        platform: { architecture: "amd64", os: "linux" },
        annotations: { [ANNOTATION_CONTAINERD_NAME]: ref, [ANNOTATION_REF_NAME]: refTag(ref) },
      },
    ],
  };
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), "utf8");

async function writeLayer(spec: OciImageSpec, work: string): Promise<Blob & { diffId: string }> {
  const tarFile = join(work, "layer.tar");
  const gzFile = join(work, "layer.tar.gz");
  await writeLayerTar(spec, tarFile);
  const diffId = await fileDigest(tarFile);
  await gzipFile(tarFile, gzFile);
  await rm(tarFile);
  const digest = await fileDigest(gzFile);
  const size = (await stat(gzFile)).size;
  await rename(gzFile, join(work, "layout", "blobs", "sha256", digest.slice("sha256:".length)));
  return { digest, size, diffId };
}

/** Writes `spec` as an OCI image layout archive at `out` and returns its manifest digest. */
export async function writeOciArchive(spec: OciImageSpec, out: string): Promise<OciArchive> {
  const work = `${out}.work-${process.pid}`;
  const layout = join(work, "layout");
  await rm(work, { recursive: true, force: true });
  await mkdir(join(layout, "blobs", "sha256"), { recursive: true });
  try {
    const layer = await writeLayer(spec, work);
    const config = await putBlob(layout, json(configJson(spec.config, [layer.diffId])));
    const manifest = await putBlob(layout, json(manifestJson(config, layer)));
    await writeFile(join(layout, "index.json"), json(indexJson(manifest, spec.ref)));
    await writeFile(join(layout, "oci-layout"), json({ imageLayoutVersion: "1.0.0" }));
    const tmp = `${out}.tmp-${process.pid}`;
    const owner = ["--owner=0", "--group=0"];
    const members = ["oci-layout", "index.json", "blobs"];
    await runTool("tar", [...TAR_FLAGS, ...owner, "-cf", tmp, "--", ...members], { cwd: layout });
    await rename(tmp, out);
    const { diffId, digest: layerDigest, size: layerSize } = layer;
    return { digest: manifest.digest, layerDigest, diffId, layerSize };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
