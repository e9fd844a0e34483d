// JSON logs: levels, bound fields, error causes, and redaction of secret-looking fields.
import { createLogger, parseLogLevel } from "./log.js";

function capture(level: "debug" | "info" | "warn" | "error" = "info") {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({
    level,
    sink: line => lines.push(JSON.parse(line) as Record<string, unknown>),
    now: () => new Date("2024-01-01T00:00:00Z"),
    fields: { node: "n1" },
  });
  return { log, lines };
}

describe("createLogger", () => {
  it("writes one JSON object per line with time, level, message and fields", () => {
    const { log, lines } = capture();
    log.info("agent started", { swhs: 3 });
    expect(lines).toEqual([
      {
        time: "2024-01-01T00:00:00.000Z",
        level: "info",
        msg: "agent started",
        node: "n1",
        swhs: 3,
      },
    ]);
  });

  it("drops lines below the level", () => {
    const { log, lines } = capture("warn");
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    expect(lines.map(l => l.level)).toEqual(["warn", "error"]);
    expect(log.enabled("info")).toBe(false);
    expect(log.enabled("error")).toBe(true);
  });

  it("adds child fields to every line", () => {
    const { log, lines } = capture();
    log.child({ informer: "pods" }).warn("retrying");
    expect(lines[0]).toMatchObject({ node: "n1", informer: "pods", msg: "retrying" });
  });

  it("serialises errors with their causes", () => {
    const { log, lines } = capture();
    log.error("failed", { error: new Error("outer", { cause: new Error("inner") }) });
    expect(lines[0]?.error).toEqual({
      name: "Error",
      message: "outer",
      cause: { name: "Error", message: "inner" },
    });
  });

  it("redacts fields that look like credentials", () => {
    const { log, lines } = capture();
    log.info("x", {
      password: "hunter2",
      clientKey: "KEY",
      authorization: "Bearer t",
      user: "postgres",
    });
    expect(JSON.stringify(lines)).not.toMatch(/hunter2|KEY|Bearer/);
    expect(lines[0]).toMatchObject({ user: "postgres", password: "[redacted]" });
  });

  it("survives unserialisable fields", () => {
    const { log, lines } = capture();
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    log.info("x", { loop });
    expect(lines[0]).toMatchObject({ msg: "x", logError: "unserialisable fields" });
  });
});

describe("parseLogLevel", () => {
  it.each([
    ["Debug", "debug"],
    ["INFO", "info"],
    ["warning", "warn"],
    [" error ", "error"],
    ["trace", undefined],
  ])("%j -> %s", (text, level) => {
    expect(parseLogLevel(text)).toBe(level);
  });
});
