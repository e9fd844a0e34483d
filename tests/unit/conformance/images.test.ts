// Stand-in for dmt's `images` linter (deckhouse/dmt cannot be built here), plus what a reviewer
// checks in an image recipe. The recipes (images/*/Dockerfile, images/*/werf.inc.yaml, werf.yaml)
// are checked statically: no Docker engine or werf runs on this project's machines. Dockerfiles: multi-stage, base images
// as $BASE_* arguments (dmt's dockerfile and distroless rules), a final stage that runs as the
// non-root deckhouse user and carries the bundle only (no npm, no node_modules), and every COPY
// source present in the build context (the repository root). werf files: rendered by the real Go
// template engine (helm's, with werf's image context), image names follow
// <module>/<images dir>, final images run as 64535 and import only built artefacts.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { MODULE_NAME } from "../../../api/contract.js";
import { REPO_ROOT, ensureHelm, renderOrThrow } from "../../support/helm.js";

const IMAGES_DIR = join(REPO_ROOT, "images");
const imageDirs = readdirSync(IMAGES_DIR, { withFileTypes: true })
  .filter(e => e.isDirectory() && existsSync(join(IMAGES_DIR, e.name, "werf.inc.yaml")))
  .map(e => e.name);

interface Instruction {
  readonly op: string;
  readonly args: string;
}

interface Stage {
  readonly from: string;
  readonly name?: string;
  readonly instructions: Instruction[];
}

/** Parses a Dockerfile into global ARGs and stages (continuation lines joined, comments dropped). */
function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const lines = text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map(l => l.trim())
    .filter(l => l !== "" && !l.startsWith("#"));
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    const [op = "", ...rest] = line.split(/\s+/);
    const rawArgs = rest.join(" ");
    if (op.toUpperCase() === "FROM") {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rawArgs);
      stages.push({ from: match?.[1] ?? rawArgs, name: match?.[2], instructions: [] });
    } else if (stages.length === 0 && op.toUpperCase() === "ARG") {
      const [key = "", value = ""] = rawArgs.split("=");
      args.set(key, value);
    } else {
      stages.at(-1)?.instructions.push({ op: op.toUpperCase(), args: rawArgs });
    }
  }
  return { args, stages };
}

/** COPY sources (not --from, not flags). */
function copySources(instruction: Instruction): string[] {
  const words = instruction.args.startsWith("[")
    ? (JSON.parse(instruction.args) as string[])
    : instruction.args.split(/\s+/);
  return words.filter(w => !w.startsWith("--")).slice(0, -1);
}

describe.each(imageDirs.filter(d => existsSync(join(IMAGES_DIR, d, "Dockerfile"))))(
  "images/%s/Dockerfile",
  image => {
    const { args, stages } = parseDockerfile(
      readFileSync(join(IMAGES_DIR, image, "Dockerfile"), "utf8"),
    );
    const final = stages.at(-1);

    it("dockerfile, distroless: stages from $BASE_ images, the final one distroless or empty", () => {
      expect(stages.length).toBeGreaterThanOrEqual(2);
      for (const stage of stages.slice(0, -1)) expect(stage.from).toMatch(/^\$BASE_/);
      expect(final?.from).toMatch(/^(\$BASE_DISTROLESS|scratch$)/);
      for (const stage of stages) {
        const variable = /^\$(\w+)$/.exec(stage.from)?.[1];
        if (variable) expect(args.get(variable)).toBeTruthy();
      }
    });

    it("user: the final stage runs as the non-root deckhouse user", () => {
      const users = final?.instructions.filter(i => i.op === "USER") ?? [];
      expect(users.at(-1)?.args).toBe("64535:64535");
    });

    it("contents: the final stage holds the built artefact only (no npm, node_modules, sources)", () => {
      for (const i of final?.instructions ?? []) {
        expect(i.op).not.toBe("RUN");
        if (i.op === "COPY" || i.op === "ADD") {
          expect(i.args).toMatch(/--from=/);
          expect(i.args).not.toMatch(/node_modules|npm|\/src\/(?!build\/)/);
        }
      }
      const copies = final?.instructions.filter(i => i.op === "COPY") ?? [];
      expect(copies.length).toBeGreaterThan(0);
    });

    it("context: every COPY source exists in the build context (the repository root)", () => {
      for (const stage of stages) {
        for (const i of stage.instructions.filter(
          x => x.op === "COPY" && !/--from=/.test(x.args),
        )) {
          for (const source of copySources(i)) {
            expect([source, existsSync(join(REPO_ROOT, source))]).toEqual([source, true]);
          }
        }
      }
    });

    it("build: npm ci, then the repository's own build script", () => {
      const runs = stages.flatMap(s => s.instructions.filter(i => i.op === "RUN").map(i => i.args));
      expect(runs).toEqual(expect.arrayContaining(["npm ci --no-audit --no-fund"]));
      expect(runs.some(r => r.startsWith("npm run build -- "))).toBe(true);
    });
  },
);

interface WerfImage {
  image: string;
  final?: boolean;
  from?: string;
  fromImage?: string;
  git?: { add: string; to: string; includePaths?: string[] }[];
  import?: { image: string; add: string; to: string }[];
  shell?: Record<string, string[]>;
  docker?: { USER?: string; ENTRYPOINT?: string[] };
}

/** The base images werf.yaml hands to the image templates. */
const BASE_IMAGES = {
  BASE_NODE_24: "registry.example.com/base_images/node:24",
  BASE_DISTROLESS_NODEJS_24: "registry.example.com/base_images/distroless-nodejs:24",
};

describe("images/*/werf.inc.yaml", () => {
  let helm: string;
  let harness: string;
  const rendered = new Map<string, WerfImage[]>();

  beforeAll(async () => {
    helm = ensureHelm();
    // A throwaway chart whose only template renders each recipe with werf's image context
    // through Go templates + sprig (what werf itself uses).
    harness = await mkdtemp(join(tmpdir(), "swh-werf-"));
    await writeFile(
      join(harness, "Chart.yaml"),
      "apiVersion: v2\nname: werf-harness\nversion: 0.0.0\n",
    );
    await mkdir(join(harness, "templates"));
    await mkdir(join(harness, "recipes"));
    for (const image of imageDirs) {
      await cp(join(IMAGES_DIR, image, "werf.inc.yaml"), join(harness, "recipes", `${image}.yaml`));
    }
    await writeFile(
      join(harness, "templates", "render.yaml"),
      [
        '{{- range $path, $_ := .Files.Glob "recipes/*.yaml" }}',
        '{{- $name := base $path | trimSuffix ".yaml" }}',
        `{{- $ctx := dict "ImageName" $name "ModuleName" "${MODULE_NAME}" "ModuleDir" "/" "ImagePath" (printf "/images/%s" $name) "Images" (dict ${Object.entries(
          BASE_IMAGES,
        )
          .map(([k, v]) => `"${k}" "${v}"`)
          .join(" ")}) "Template" (dict "BasePath" "recipes" "Name" $path) }}`,
        "---",
        "# recipe: {{ $name }}",
        "{{ tpl ($.Files.Get $path) $ctx }}",
        "{{- end }}",
      ].join("\n"),
    );
    const objects = await renderOrThrow(helm, harness, {});
    for (const image of imageDirs) rendered.set(image, []);
    for (const doc of objects as unknown as (WerfImage & { source: string })[]) {
      const owner = imageDirs.find(d => doc.image.startsWith(`${MODULE_NAME}/${d}`));
      if (owner) rendered.get(owner)?.push(doc);
    }
  }, 600_000);

  afterAll(async () => {
    if (harness) await rm(harness, { recursive: true, force: true });
  });

  it.each(imageDirs)("werf, %s: images named <module>/<images dir>, helpers not final", image => {
    const docs = rendered.get(image) ?? [];
    expect(docs.length).toBeGreaterThan(0);
    const names = docs.map(d => d.image);
    expect(names).toContain(`${MODULE_NAME}/${image}`);
    for (const doc of docs) {
      // Helper images carry a suffix and never ship; werf's `artifact:` is not used (dmt's werf rule).
      if (doc.image !== `${MODULE_NAME}/${image}`) expect(doc.final).toBe(false);
      expect(doc).not.toHaveProperty("artifact");
    }
  });

  it("werf: final images run as 64535 from a base_images distroless, import built files only", () => {
    const finals = [...rendered.values()].flat().filter(d => d.final !== false);
    expect(finals.map(d => d.image)).toEqual([`${MODULE_NAME}/agent`]);
    for (const doc of finals) {
      expect(doc.docker?.USER).toBe("64535:64535");
      expect(doc.from).toBe(BASE_IMAGES.BASE_DISTROLESS_NODEJS_24);
      // dmt's werf rule: a final image's `from` is one of Deckhouse's base images.
      expect(doc.from?.split("/")[1]).toBe("base_images");
      expect(doc.shell).toBeUndefined();
      expect(doc.git).toBeUndefined();
      expect(doc.import?.length).toBeGreaterThan(0);
      for (const imported of doc.import ?? []) {
        expect(imported.add).not.toMatch(/node_modules/);
        expect(imported.add).toMatch(/\/build\//);
      }
    }
  });

  it("werf, hooks: an artefact only (the bundle carries it), executable owned by 64535", () => {
    const docs = rendered.get("hooks") ?? [];
    expect(docs.map(d => [d.image, d.final])).toEqual([[`${MODULE_NAME}/hooks`, false]]);
    expect(docs[0]?.shell?.setup).toEqual(
      expect.arrayContaining([
        "install -D -m 0755 -o 64535 -g 64535 build/hooks/swh-hooks /hooks/swh-hooks",
      ]),
    );
  });

  it.each(imageDirs)("werf, %s: imports only images it defines, git adds existing paths", image => {
    const docs = rendered.get(image) ?? [];
    const defined = new Set(docs.map(d => d.image));
    for (const doc of docs) {
      for (const imported of doc.import ?? []) expect(defined.has(imported.image)).toBe(true);
      for (const git of doc.git ?? []) {
        for (const path of git.includePaths ?? []) {
          expect([path, existsSync(join(REPO_ROOT, git.add, path))]).toEqual([path, true]);
        }
      }
    }
  });
});

describe("werf.yaml", () => {
  const text = readFileSync(join(REPO_ROOT, "werf.yaml"), "utf8");

  it("names the project after the module and renders every images/*/werf.inc.yaml", () => {
    expect(text).toMatch(new RegExp(`^project: ${MODULE_NAME}$`, "m"));
    expect(text).toContain('.Files.Glob "images/*/werf.inc.yaml"');
  });

  it("bundles the module's files and the hooks executable the hooks image builds", () => {
    const bundle = text.slice(text.indexOf("image: bundle"));
    const docs = parseAllDocuments(bundle.replace(/\{\{[^}]*\}\}/g, "templated"));
    const spec = docs[0]?.toJS() as {
      import: { add: string; to: string }[];
      git: { includePaths: string[] }[];
    };
    expect(spec.import).toEqual(
      expect.arrayContaining([
        {
          image: "templated/hooks",
          add: "/hooks/swh-hooks",
          to: "/hooks/swh-hooks",
          after: "setup",
        },
      ]),
    );
    const hooksRecipe = readFileSync(join(IMAGES_DIR, "hooks", "werf.inc.yaml"), "utf8");
    expect(hooksRecipe).toContain("/hooks/swh-hooks");
    for (const path of spec.git[0]?.includePaths ?? []) {
      const plain = path.replace(/\/\*\.md$/, "");
      if (plain.startsWith("docs")) continue;
      expect([path, existsSync(join(REPO_ROOT, plain))]).toEqual([path, true]);
    }
  });
});
