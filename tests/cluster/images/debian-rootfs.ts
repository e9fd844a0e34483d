// Assembles an image's base root filesystem from Debian packages, the way distroless does:
// `apt-get download` into a cache (~/.cache/swh-testenv/images/debs), then `dpkg-deb -x` into
// the rootfs, with no maintainer script run. Which packages: what the recipe names, plus the
// packages of the shared libraries its binaries load (the `ldd` closure, mapped to packages
// with `dpkg -S`), so an image carries exactly what its binaries need. Also the files a
// distroless base has that no package ships: /etc/passwd and /etc/group (root, nonroot 65532,
// deckhouse 64535), /etc/nsswitch.conf, /tmp (1777) and the CA bundle that ca-certificates'
// maintainer script would generate.
import { existsSync, readdirSync } from "node:fs";
import { chmod, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { cacheDir } from "../../testenv/layout.js";
import type { Ownership } from "./oci.js";
import { probeTool, runTool } from "./proc.js";
import { putDir, putFile } from "./rootfs-files.js";

/** A Debian package at the version the archive offers. */
export interface DebPackage {
  readonly name: string;
  readonly version: string;
  readonly arch: string;
}

/** Where downloaded .deb files are kept. */
export function debCacheDir(): string {
  return join(cacheDir(), "images", "debs");
}

/** The file name `apt-get download` gives a package (an epoch's colon escaped). */
export function debFileName(p: DebPackage): string {
  return `${p.name}_${p.version.replace(/:/g, "%3a")}_${p.arch}.deb`;
}

/** Parses `apt-cache show` records into packages (first record per name wins). */
export function parseAptShow(text: string): DebPackage[] {
  const out = new Map<string, DebPackage>();
  for (const record of text.split(/\n\s*\n/)) {
    const field = (key: string): string | undefined =>
      new RegExp(`^${key}: (.+)$`, "m").exec(record)?.[1]?.trim();
    const [name, version, arch] = [field("Package"), field("Version"), field("Architecture")];
    if (name && version && arch && !out.has(name)) out.set(name, { name, version, arch });
  }
  return [...out.values()];
}

let updated = false;

async function aptUpdateOnce(): Promise<void> {
  if (updated) return;
  updated = true;
  await runTool("apt-get", ["update", "-qq"]);
}

/** The candidate version of each package; runs `apt-get update` once when lists are missing. */
export async function resolvePackages(names: readonly string[]): Promise<DebPackage[]> {
  const wanted = [...new Set(names)].sort();
  if (wanted.length === 0) return [];
  const show = (): Promise<{ stdout: string; code: number }> =>
    probeTool("apt-cache", ["show", "--no-all-versions", ...wanted]);
  let res = await show();
  let found = parseAptShow(res.stdout);
  if (res.code !== 0 || found.length !== wanted.length) {
    await aptUpdateOnce();
    res = await show();
    found = parseAptShow(res.stdout);
  }
  const missing = wanted.filter(n => !found.some(p => p.name === n));
  if (missing.length > 0) throw new Error(`no Debian package ${missing.join(", ")} in apt's lists`);
  return found.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Downloads what the cache lacks and returns each package's .deb path. */
export async function fetchDebs(packages: readonly DebPackage[]): Promise<string[]> {
  const dir = debCacheDir();
  await mkdir(dir, { recursive: true });
  const missing = packages.filter(p => !existsSync(join(dir, debFileName(p))));
  if (missing.length > 0) {
    const args = ["download", "-o", "APT::Sandbox::User=root"];
    const specs = missing.map(p => `${p.name}=${p.version}`);
    try {
      await runTool("apt-get", [...args, ...specs], { cwd: dir });
    } catch {
      await aptUpdateOnce();
      await runTool("apt-get", [...args, ...specs], { cwd: dir });
    }
  }
  return packages.map(p => join(dir, debFileName(p)));
}

/** Extracts each .deb into `rootfs` (data only, no maintainer scripts), in the given order. */
export async function extractDebs(debs: readonly string[], rootfs: string): Promise<void> {
  await mkdir(rootfs, { recursive: true });
  for (const deb of debs) await runTool("dpkg-deb", ["-x", deb, rootfs]);
}

/** The shared-library paths `ldd` lists (interpreter included); [] for a static binary. */
export function parseLdd(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const arrow = /=>\s+(\/\S+)/.exec(line);
    const bare = /^\s*(\/\S+)\s+\(/.exec(line);
    const path = arrow?.[1] ?? bare?.[1];
    if (path) out.push(path);
  }
  return out;
}

/** True when `ldd` says the binary is not dynamically linked. */
export async function isStatic(binary: string): Promise<boolean> {
  const res = await probeTool("ldd", [binary]);
  return /not a dynamic executable|statically linked/.test(res.stdout + res.stderr);
}

/** The shared libraries `binaries` load (sorted, unique). */
export async function sharedLibraries(binaries: readonly string[]): Promise<string[]> {
  const all = new Set<string>();
  for (const binary of binaries) {
    if (await isStatic(binary)) continue;
    for (const lib of parseLdd((await runTool("ldd", [binary])).stdout)) all.add(lib);
  }
  return [...all].sort();
}

/** The other spelling of a path on a merged-/usr system (/lib <-> /usr/lib, ...). */
export function usrMergeAlias(path: string): string | undefined {
  const m = /^\/(usr\/)?(bin|sbin|lib|lib64)(\/.*)$/.exec(path);
  if (!m) return undefined;
  return m[1] ? `/${m[2]}${m[3]}` : `/usr/${m[2]}${m[3]}`;
}

/** Parses `dpkg -S` output into path -> package names (architecture qualifiers dropped). */
export function parseDpkgSearch(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const m = /^(\S.*?): (\/.*)$/.exec(line);
    if (!m || line.startsWith("diversion ")) continue;
    const names = (m[1] ?? "").split(", ").map(n => n.replace(/:[a-z0-9]+$/, ""));
    out.set(m[2] ?? "", names);
  }
  return out;
}

/** The Debian packages owning `files` (each tried under its merged-/usr alias too). */
export async function packagesOwning(files: readonly string[]): Promise<string[]> {
  if (files.length === 0) return [];
  const first = parseDpkgSearch((await probeTool("dpkg", ["-S", ...files])).stdout);
  const unowned = files.filter(f => !first.has(f));
  const aliases = unowned.map(f => usrMergeAlias(f)).filter((a): a is string => !!a);
  const second =
    aliases.length === 0
      ? new Map<string, string[]>()
      : parseDpkgSearch((await probeTool("dpkg", ["-S", ...aliases])).stdout);
  const lost = unowned.filter(f => !second.has(usrMergeAlias(f) ?? f));
  if (lost.length > 0) throw new Error(`no Debian package owns ${lost.join(", ")}`);
  const names = new Set([...first.values(), ...second.values()].flat());
  return [...names].sort();
}

/** The packages of the shared libraries `binaries` load (e.g. libc6, libstdc++6 for Node). */
export async function libraryPackages(binaries: readonly string[]): Promise<string[]> {
  return packagesOwning(await sharedLibraries(binaries));
}

/** The accounts every image knows: distroless's root and nonroot, and Deckhouse's user. */
export const ACCOUNTS = [
  { name: "root", id: 0, home: "/root" },
  { name: "nobody", id: 65534, home: "/nonexistent" },
  { name: "nonroot", id: 65532, home: "/home/nonroot" },
  { name: "deckhouse", id: 64535, home: "/home/deckhouse" },
] as const;

const NSSWITCH = [
  "passwd: files",
  "group: files",
  "shadow: files",
  "hosts: files dns",
  "networks: files",
  "protocols: files",
  "services: files",
  "ethers: files",
  "rpc: files",
  "",
].join("\n");

/** Writes passwd, group, nsswitch.conf, /tmp and home dirs; returns the homes' ownership. */
export async function writeAccounts(rootfs: string): Promise<Ownership[]> {
  const shell = "/sbin/nologin";
  const passwd = ACCOUNTS.map(a => `${a.name}:x:${a.id}:${a.id}:${a.name}:${a.home}:${shell}`);
  const group = ACCOUNTS.map(a => `${a.name}:x:${a.id}:`);
  await putFile(rootfs, "etc/passwd", `${passwd.join("\n")}\n`);
  await putFile(rootfs, "etc/group", `${group.join("\n")}\n`);
  await putFile(rootfs, "etc/nsswitch.conf", NSSWITCH);
  await putDir(rootfs, "tmp", 0o1777);
  await chmod(join(rootfs, "tmp"), 0o1777);
  const owned: Ownership[] = [];
  for (const a of ACCOUNTS.filter(x => x.home.startsWith("/home/") || x.home === "/root")) {
    await putDir(rootfs, a.home.slice(1));
    await chmod(join(rootfs, a.home), a.id === 0 ? 0o700 : 0o755);
    if (a.id !== 0) owned.push({ path: a.home.slice(1), uid: a.id, gid: a.id });
  }
  return owned;
}

/** Writes /etc/ssl/certs/ca-certificates.crt from the extracted Mozilla certificates. */
export async function writeCaBundle(rootfs: string): Promise<void> {
  const source = join(rootfs, "usr", "share", "ca-certificates", "mozilla");
  if (!existsSync(source)) throw new Error("ca-certificates is not extracted in the rootfs");
  const certs: string[] = [];
  for (const file of readdirSync(source).sort()) {
    if (file.endsWith(".crt")) certs.push((await readFile(join(source, file), "utf8")).trimEnd());
  }
  await putFile(rootfs, "etc/ssl/certs/ca-certificates.crt", `${certs.join("\n")}\n`);
}
