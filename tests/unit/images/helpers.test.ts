// The image builder's pure parts (tests/cluster/images): references, the GNU tar commands of a
// layer with per-path owners, the index annotations containerd reads, and the parsers of the
// host tools' output (tar -tv, ldd, dpkg -S, apt-cache show). Then one small real layer: a tiny
// root filesystem written twice gives the same digest, with the owners it was asked for.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  debFileName,
  parseAptShow,
  parseDpkgSearch,
  parseLdd,
  usrMergeAlias,
} from "../../cluster/images/debian-rootfs.js";
import { parseTarLine, readOciArchive } from "../../cluster/images/inspect.js";
import {
  indexJson,
  layerTarCommands,
  refRepository,
  refTag,
  writeOciArchive,
} from "../../cluster/images/oci.js";
import { putFile, putSymlink } from "../../cluster/images/rootfs-files.js";

describe("references", () => {
  it("splits tag and repository, a registry port notwithstanding", () => {
    expect(refTag("swh.local/modules/agent:dev")).toBe("dev");
    expect(refRepository("swh.local/modules/agent:dev")).toBe("swh.local/modules/agent");
    expect(refRepository("localhost:5000/pause:3.10")).toBe("localhost:5000/pause");
    expect(() => refTag("localhost:5000/pause")).toThrow(/no tag/);
  });

  it("names the manifest for containerd and by tag in index.json", () => {
    const index = indexJson({ digest: "sha256:ab", size: 2 }, "swh.local/pause:3.10") as {
      manifests: { annotations: Record<string, string> }[];
    };
    expect(index.manifests[0]?.annotations).toEqual({
      "io.containerd.image.name": "swh.local/pause:3.10",
      "org.opencontainers.image.ref.name": "3.10",
    });
  });
});

describe("layerTarCommands", () => {
  it("creates root-owned without the owned paths, then appends each with its owner", () => {
    const cmds = layerTarCommands(["agent", "etc"], [{ path: "/agent/agent.mjs", uid: 1, gid: 2 }]);
    expect(cmds).toHaveLength(2);
    expect(cmds[0]).toEqual(expect.arrayContaining(["--owner=0", "--group=0", "--sort=name"]));
    expect(cmds[0]).toEqual(expect.arrayContaining(["--mtime=@0", "--numeric-owner"]));
    expect(cmds[0]).toEqual(expect.arrayContaining(["--anchored", "--exclude=agent/agent.mjs"]));
    expect(cmds[0]?.slice(-3)).toEqual(["--", "agent", "etc"]);
    expect(cmds[1]).toEqual(expect.arrayContaining(["--owner=1", "--group=2", "-rf"]));
    expect(cmds[1]?.at(-1)).toBe("agent/agent.mjs");
  });
});

describe("host tool output", () => {
  it("parses tar -tv lines", () => {
    expect(parseTarLine("-rw-r--r-- 64535/64535 12 1970-01-01 00:00 agent/agent.mjs")).toEqual(
      expect.objectContaining({ path: "agent/agent.mjs", type: "-", uid: 64535, size: 12 }),
    );
    expect(parseTarLine("lrwxrwxrwx 0/0 0 1970-01-01 00:00 bin/sh -> dash")).toEqual(
      expect.objectContaining({ path: "bin/sh", type: "l", linkTarget: "dash" }),
    );
    expect(parseTarLine("drwxrwxrwt 0/0 0 1970-01-01 00:00 ./tmp/").path).toBe("tmp");
  });

  it("parses ldd, including the interpreter line and vdso", () => {
    const text = [
      "\tlinux-vdso.so.1 (0x00007ffd)",
      "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)",
      "\t/lib64/ld-linux-x86-64.so.2 (0x00007f)",
    ].join("\n");
    expect(parseLdd(text)).toEqual([
      "/lib/x86_64-linux-gnu/libc.so.6",
      "/lib64/ld-linux-x86-64.so.2",
    ]);
  });

  it("maps merged-/usr aliases both ways", () => {
    expect(usrMergeAlias("/lib/x86_64-linux-gnu/libz.so.1")).toBe(
      "/usr/lib/x86_64-linux-gnu/libz.so.1",
    );
    expect(usrMergeAlias("/usr/bin/sleep")).toBe("/bin/sleep");
    expect(usrMergeAlias("/etc/passwd")).toBeUndefined();
  });

  it("parses dpkg -S, dropping architecture qualifiers and diversions", () => {
    const text = [
      "libc6:amd64: /lib/x86_64-linux-gnu/libc.so.6",
      "diversion by dash from: /bin/sh",
      "postgresql-15: /usr/lib/postgresql/15/bin/postgres",
    ].join("\n");
    expect([...parseDpkgSearch(text)]).toEqual([
      ["/lib/x86_64-linux-gnu/libc.so.6", ["libc6"]],
      ["/usr/lib/postgresql/15/bin/postgres", ["postgresql-15"]],
    ]);
  });

  it("parses apt-cache show and names the downloaded file as apt-get does", () => {
    const text =
      "Package: a\nVersion: 1:2.0-1\nArchitecture: amd64\n\nPackage: b\nVersion: 3\nArchitecture: all\n";
    const [a, b] = parseAptShow(text);
    expect(a).toEqual({ name: "a", version: "1:2.0-1", arch: "amd64" });
    expect(debFileName(a!)).toBe("a_1%3a2.0-1_amd64.deb");
    expect(debFileName(b!)).toBe("b_3_all.deb");
  });
});

describe("writeOciArchive on a tiny root filesystem", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "swh-oci-test-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("is deterministic and stores the owners it was given", async () => {
    const rootfs = join(dir, "rootfs");
    await putFile(rootfs, "app/run.txt", "hello\n", 0o644);
    await putFile(rootfs, "etc/passwd", "root:x:0:0::/root:/sbin/nologin\n", 0o644);
    await putSymlink(rootfs, "app/link", "run.txt");
    const spec = {
      rootfs,
      config: { user: "7:7", entrypoint: ["/app/run"], env: [], workingDir: "/" },
      ownership: [{ path: "app/run.txt", uid: 7, gid: 8 }],
      ref: "swh.local/test:dev",
    };
    const first = await writeOciArchive(spec, join(dir, "a.oci.tar"));
    const second = await writeOciArchive(spec, join(dir, "b.oci.tar"));
    expect(second.digest).toBe(first.digest);
    const image = await readOciArchive(join(dir, "a.oci.tar"));
    expect(image.manifestDigest).toBe(first.digest);
    expect(image.config.rootfs.diff_ids).toEqual([first.diffId]);
    const byPath = new Map(image.layers[0]!.map(e => [e.path, e]));
    expect(byPath.get("app/run.txt")).toEqual(expect.objectContaining({ uid: 7, gid: 8 }));
    expect(byPath.get("etc/passwd")).toEqual(expect.objectContaining({ uid: 0, gid: 0 }));
    expect(byPath.get("app/link")?.linkTarget).toBe("run.txt");
  });
});
