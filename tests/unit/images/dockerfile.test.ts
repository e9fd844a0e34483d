// The image builder's reading of a Dockerfile (tests/cluster/images/dockerfile.ts): the final
// stage's COPY --from/--chown, USER, ENTRYPOINT and CMD in exec form, ENV, WORKDIR, the build
// stage's WORKDIR that maps a --from source back to the build context, and the refusals (shell
// form, unsupported instructions, names where ids are needed). Pure: no files but the agent's
// own Dockerfile.
import {
  contextPath,
  execForm,
  parseCopy,
  parseDockerfile,
} from "../../cluster/images/dockerfile.js";
import { agentDockerfile } from "../../cluster/images/recipes.js";

const MULTI_STAGE = `
# a comment
ARG BASE=docker.io/library/node:24
ARG BASE_RUN=gcr.io/distroless/nodejs24-debian12:nonroot
FROM $BASE AS build
WORKDIR /src
COPY package.json \\
     package-lock.json ./
RUN npm ci
FROM --platform=linux/amd64 $BASE_RUN
COPY --from=build --chown=64535:64535 /src/build/app.mjs /app/app.mjs
COPY static/index.html /app/index.html
ENV MODE=production
ENV LEGACY value with spaces
WORKDIR /app
USER 64535:64535
ENTRYPOINT ["/nodejs/bin/node", "/app/app.mjs"]
CMD ["--port", "8080"]
`;

describe("parseDockerfile", () => {
  const parsed = parseDockerfile(MULTI_STAGE);

  it("reads the final stage's image config", () => {
    expect(parsed.final.base).toBe("$BASE_RUN");
    expect(parsed.final.user).toBe("64535:64535");
    expect(parsed.final.entrypoint).toEqual(["/nodejs/bin/node", "/app/app.mjs"]);
    expect(parsed.final.cmd).toEqual(["--port", "8080"]);
    expect(parsed.final.env).toEqual(["MODE=production", "LEGACY=value with spaces"]);
    expect(parsed.final.workdir).toBe("/app");
  });

  it("reads the final stage's copies with their owners", () => {
    expect(parsed.final.copies).toEqual([
      {
        from: "build",
        chown: { uid: 64535, gid: 64535 },
        sources: ["/src/build/app.mjs"],
        destination: "/app/app.mjs",
      },
      { sources: ["static/index.html"], destination: "/app/index.html" },
    ]);
  });

  it("maps a --from source to the build context through the stage's WORKDIR", () => {
    const [fromBuild, fromContext] = parsed.final.copies;
    expect(parsed.stageWorkdirs.get("build")).toBe("/src");
    expect(contextPath(parsed, fromBuild!, "/src/build/app.mjs")).toBe("build/app.mjs");
    expect(contextPath(parsed, fromContext!, "static/index.html")).toBe("static/index.html");
    expect(() => contextPath(parsed, fromBuild!, "/etc/passwd")).toThrow(/outside stage build/);
  });

  it("refuses what the builder cannot reproduce", () => {
    expect(() => parseDockerfile("FROM a\nRUN echo hi\n")).toThrow(/RUN in the final stage/);
    expect(() => parseDockerfile("FROM a\nENTRYPOINT /bin/app --flag\n")).toThrow(/exec/);
    expect(() => parseDockerfile("")).toThrow(/no FROM/);
  });
});

describe("parseCopy and execForm", () => {
  it("takes a single id as both owner and group", () => {
    expect(parseCopy("--chown=65532 a /b").chown).toEqual({ uid: 65532, gid: 65532 });
  });

  it("refuses names where numeric ids are needed, unknown flags and a missing source", () => {
    expect(() => parseCopy("--chown=deckhouse:deckhouse a /b")).toThrow(/numeric/);
    expect(() => parseCopy("--link a /b")).toThrow(/--link/);
    expect(() => parseCopy("/b")).toThrow(/source and a destination/);
  });

  it("accepts only JSON arrays of strings", () => {
    expect(execForm("CMD", '["a","b"]')).toEqual(["a", "b"]);
    expect(() => execForm("CMD", "[1, 2]")).toThrow(/array of strings/);
  });
});

describe("images/agent/Dockerfile", () => {
  it("is understood: one owned COPY from the build stage, a user and an exec entrypoint", () => {
    const parsed = agentDockerfile();
    const [copy] = parsed.final.copies;
    expect(parsed.final.copies).toHaveLength(1);
    expect(copy?.from).toBe("build");
    expect(copy?.chown).toEqual({ uid: 64535, gid: 64535 });
    expect(contextPath(parsed, copy!, copy!.sources[0]!)).toBe("build/agent/agent.mjs");
    expect(parsed.final.user).toMatch(/^64535(:64535)?$/);
    expect(parsed.final.entrypoint?.[0]).toBe("/nodejs/bin/node");
  });
});
