// Puts files into an image's root filesystem with explicit modes: the layer records modes as
// the filesystem has them, so nothing here may depend on the builder's umask (a directory or
// file created with 0755/0644 under umask 077 would end up 0700/0600 and change the digest).
import { chmod, copyFile, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";

function inside(rootfs: string, path: string): string {
  const full = join(rootfs, path);
  if (relative(rootfs, full).startsWith("..")) throw new Error(`${path} is outside the rootfs`);
  return full;
}

/** Creates `path` (relative to `rootfs`) and its missing parents, each with `mode`. */
export async function putDir(rootfs: string, path: string, mode = 0o755): Promise<void> {
  const full = inside(rootfs, path);
  const created = await mkdir(full, { recursive: true });
  if (created === undefined) return;
  for (let dir = full; dir.length >= created.length; dir = dirname(dir)) await chmod(dir, mode);
}

/** Writes `content` at `path` with `mode`, creating parents 0755. */
export async function putFile(
  rootfs: string,
  path: string,
  content: string | Buffer,
  mode = 0o644,
): Promise<void> {
  const full = inside(rootfs, path);
  await putDir(rootfs, dirname(path));
  await writeFile(full, content);
  await chmod(full, mode);
}

/** Copies the host file `source` to `path` with `mode`, creating parents 0755. */
export async function putCopy(
  rootfs: string,
  source: string,
  path: string,
  mode = 0o644,
): Promise<void> {
  const full = inside(rootfs, path);
  await putDir(rootfs, dirname(path));
  await copyFile(source, full);
  await chmod(full, mode);
}

/** Makes `path` a symlink to `target`, replacing what is there. */
export async function putSymlink(rootfs: string, path: string, target: string): Promise<void> {
  const full = inside(rootfs, path);
  await putDir(rootfs, dirname(path));
  await rm(full, { force: true });
  await symlink(target, full);
}

/** Removes `paths` (relative to `rootfs`) when present. */
export async function prune(rootfs: string, paths: readonly string[]): Promise<void> {
  for (const p of paths) await rm(inside(rootfs, p), { recursive: true, force: true });
}
