// The real images, built here from their recipes (tests/cluster/images): the agent image is held
// to images/agent/Dockerfile (its config's User and Entrypoint are the Dockerfile's, the bundle
// sits where its COPY puts it with the owner of its --chown, Node is at the path the entrypoint
// names, and there is no shell), the same inputs give the same manifest digest, and the pause
// image is one static binary with the sandbox's config. Builds use the cache
// (~/.cache/swh-testenv/images); a cold run downloads a few Debian packages (about 15 s).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImages, type BuiltImage } from "../../cluster/images/build.js";
import { readOciArchive, type ImageContents } from "../../cluster/images/inspect.js";
import { agentDockerfile } from "../../cluster/images/recipes.js";

const BUILD_TIMEOUT_MS = 240_000;

let agent: BuiltImage;
let pause: BuiltImage;
let agentImage: ImageContents;
let pauseImage: ImageContents;

beforeAll(async () => {
  [agent, pause] = (await buildImages(["agent", "pause"])) as [BuiltImage, BuiltImage];
  agentImage = await readOciArchive(agent.archive);
  pauseImage = await readOciArchive(pause.archive);
}, BUILD_TIMEOUT_MS);

const entry = (image: ImageContents, path: string) => image.layers[0]?.find(e => e.path === path);

describe("agent image", () => {
  const { final } = agentDockerfile();

  it("is named as the chart's images are, and its digest is the manifest's", () => {
    expect(agent.ref).toBe("swh.local/modules/agent:dev");
    expect(agentImage.manifestDigest).toBe(agent.digest);
    const annotations = agentImage.index.manifests[0]?.annotations ?? {};
    expect(annotations["io.containerd.image.name"]).toBe(agent.ref);
    expect(annotations["org.opencontainers.image.ref.name"]).toBe("dev");
  });

  it("has the Dockerfile's USER and ENTRYPOINT", () => {
    expect(agentImage.config.architecture).toBe("amd64");
    expect(agentImage.config.os).toBe("linux");
    expect(agentImage.config.config.User).toBe(final.user);
    expect(agentImage.config.config.Entrypoint).toEqual(final.entrypoint);
  });

  it("carries each COPY at its destination with the --chown owner", () => {
    for (const copy of final.copies) {
      const file = entry(agentImage, copy.destination.replace(/^\//, ""));
      expect(file).toEqual(expect.objectContaining({ type: "-" }));
      expect(file).toEqual(expect.objectContaining({ uid: copy.chown?.uid, gid: copy.chown?.gid }));
    }
    expect(entry(agentImage, "agent/agent.mjs")?.uid).toBe(64535);
  });

  it("has Node where the entrypoint runs it, its libraries, and no shell", () => {
    const node = entry(agentImage, (final.entrypoint?.[0] ?? "").replace(/^\//, ""));
    expect(node).toEqual(expect.objectContaining({ type: "-", mode: "rwxr-xr-x", uid: 0 }));
    expect(entry(agentImage, "lib64/ld-linux-x86-64.so.2")).toBeDefined();
    expect(entry(agentImage, "etc/ssl/certs/ca-certificates.crt")).toBeDefined();
    expect(entry(agentImage, "etc/passwd")).toBeDefined();
    const shells = ["bin/sh", "usr/bin/sh", "bin/bash", "bin/dash", "usr/bin/dash"];
    for (const shell of shells) expect(entry(agentImage, shell)).toBeUndefined();
  });

  it(
    "gets the same digest when built again from the same inputs",
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "swh-images-again-"));
      try {
        const [again] = await buildImages(["agent"], { dir, force: true });
        expect(again?.digest).toBe(agent.digest);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    BUILD_TIMEOUT_MS,
  );
});

describe("pause image", () => {
  it("is the sandbox image: /pause, run as 65535, nothing else", () => {
    expect(pause.ref).toBe("swh.local/pause:3.10");
    expect(pauseImage.config.config).toEqual(
      expect.objectContaining({ User: "65535:65535", Entrypoint: ["/pause"] }),
    );
    expect(pauseImage.config.config.Cmd).toBeUndefined();
    expect(pauseImage.layers[0]?.map(e => e.path)).toEqual(["pause"]);
    expect(entry(pauseImage, "pause")).toEqual(
      expect.objectContaining({ type: "-", mode: "rwxr-xr-x", uid: 0, gid: 0 }),
    );
  });
});
