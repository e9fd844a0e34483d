// The logger writes JSON lines, honours its level, and never throws.

import { createLogger, formatLine } from "./logger.js";

const fixedNow = (): Date => new Date("2026-11-22T00:00:00.000Z");

describe("createLogger", () => {
  it("writes one JSON object per line with level, msg, time and fields", () => {
    const lines: string[] = [];
    const logger = createLogger({
      write: l => lines.push(l),
      now: fixedNow,
      fields: { hook: "h" },
    });
    logger.info("hello", { count: 2 });
    logger.child({ binding: "b" }).warn("careful");
    expect(lines.map(l => JSON.parse(l) as unknown)).toEqual([
      { hook: "h", count: 2, level: "info", msg: "hello", time: "2026-11-22T00:00:00.000Z" },
      { hook: "h", binding: "b", level: "warn", msg: "careful", time: "2026-11-22T00:00:00.000Z" },
    ]);
    expect(lines.every(l => l.endsWith("\n") && !l.slice(0, -1).includes("\n"))).toBe(true);
  });

  it("drops lines below the level", () => {
    const lines: string[] = [];
    const logger = createLogger({ write: l => lines.push(l), level: "warn" });
    logger.debug("no");
    logger.info("no");
    logger.error("yes");
    expect(lines).toHaveLength(1);
  });

  it("never throws: broken writer, cyclic fields, errors with causes", () => {
    const broken = createLogger({
      write: () => {
        throw new Error("EPIPE");
      },
    });
    expect(() => broken.error("x")).not.toThrow();
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    const line = formatLine({
      level: "error",
      msg: "m",
      time: "t",
      cyclic,
      err: new Error("outer", { cause: new Error("inner") }),
      big: 10n,
    });
    expect(JSON.parse(line)).toMatchObject({
      cyclic: { self: "[circular]" },
      err: { message: "outer", cause: { message: "inner" } },
      big: "10",
    });
  });
});
