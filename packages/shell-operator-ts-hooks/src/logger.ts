// The hook logger: one JSON object per line on stderr (addon-operator and shell-operator log a
// hook's stderr), with a level threshold. Logging must never fail a hook, so every write is
// guarded and unserialisable fields are replaced, not thrown.

import type { LogFields, LogLevel, LogRecord, Logger } from "./types/logging.js";

const LEVELS: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Where and how a logger writes. */
export interface LoggerOptions {
  /** Receives one complete line (with `\n`); default: process.stderr. */
  write?: (line: string) => void;
  /** Lowest level written (default `info`, or `LOG_LEVEL` when valid). */
  level?: LogLevel;
  /** Fields on every line. */
  fields?: LogFields;
  /** The clock (default: now). */
  now?: () => Date;
}

/** True when `value` names a log level. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === "string" && Object.hasOwn(LEVELS, value);
}

/** A JSON-lines logger. It never throws. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const threshold = LEVELS[options.level ?? "info"];
  const now = options.now ?? (() => new Date());
  const base = options.fields ?? {};
  const log = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (LEVELS[level] < threshold) return;
    try {
      write(`${formatLine({ ...base, ...fields, level, msg, time: now().toISOString() })}\n`);
    } catch {
      // A broken stderr must not fail the hook; there is nowhere left to report it.
    }
  };
  return {
    debug: (msg, fields) => log("debug", msg, fields),
    info: (msg, fields) => log("info", msg, fields),
    warn: (msg, fields) => log("warn", msg, fields),
    error: (msg, fields) => log("error", msg, fields),
    child: fields => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

/** Serialises a record; Errors become `{message, cause}` and cycles or BigInts a marker. */
export function formatLine(record: LogRecord): string {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(record, (_key, value: unknown) => {
      if (value instanceof Error) return errorFields(value);
      if (typeof value === "bigint") return value.toString();
      if (typeof value === "object" && value !== null) {
        if (seen.has(value)) return "[circular]";
        seen.add(value);
      }
      return value;
    });
  } catch {
    return JSON.stringify({ level: record.level, msg: record.msg, time: record.time });
  }
}

function errorFields(error: Error): Record<string, unknown> {
  return {
    name: error.name,
    message: error.message,
    ...(error.cause !== undefined ? { cause: error.cause } : {}),
  };
}
