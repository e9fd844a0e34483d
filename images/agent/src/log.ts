// Structured JSON logs, one object per line on stdout: {"time","level","msg",...fields}. A tiny
// logger instead of a dependency: the agent needs levels, child loggers with bound fields and
// error serialisation, nothing more. Field names that could carry secrets are redacted as a last
// line of defence; the code never passes credentials to a log call in the first place.

import type { KubeLogFields, KubeLogger } from "swh-kube-client";

/** Log levels, lowest first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
/** One of LOG_LEVELS. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Extra structured fields of a log line. */
export type LogFields = KubeLogFields;

/** The logging interface every component takes: the client's four levels, plus these. */
export interface Logger extends KubeLogger {
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
  /** True when lines of `level` are written. */
  enabled(level: LogLevel): boolean;
}

const REDACTED_KEYS = /pass(word)?|secret|token|authorization|clientkey|credential/i;

/** Converts a value to something JSON.stringify renders usefully (errors with causes). */
export function serializable(value: unknown, depth = 0): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { message: value.message, name: value.name };
    if (value.cause !== undefined && depth < 4) out.cause = serializable(value.cause, depth + 1);
    return out;
  }
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return value.toString();
  return value;
}

function redact(fields: LogFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = REDACTED_KEYS.test(key) ? "[redacted]" : serializable(value);
  }
  return out;
}

/** Where lines go (stdout by default; tests pass an array sink). */
export type LogSink = (line: string) => void;

/** Options of createLogger. */
export interface LoggerOptions {
  readonly level: LogLevel;
  readonly sink?: LogSink;
  readonly now?: () => Date;
  readonly fields?: LogFields;
}

/** Creates a JSON logger writing lines at or above `level`. */
export function createLogger(options: LoggerOptions): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level);
  const sink = options.sink ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const bound = redact(options.fields ?? {});
  const write = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    const line = { time: now().toISOString(), level, msg, ...bound, ...redact(fields ?? {}) };
    let text: string;
    try {
      text = JSON.stringify(line);
    } catch {
      text = JSON.stringify({ time: line.time, level, msg, logError: "unserialisable fields" });
    }
    sink(text);
  };
  return {
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
    child: fields => createLogger({ ...options, fields: { ...options.fields, ...fields } }),
    enabled: level => LOG_LEVELS.indexOf(level) >= threshold,
  };
}

/** Parses a level name case-insensitively (`Debug`, `INFO`, `warning`). */
export function parseLogLevel(text: string): LogLevel | undefined {
  const lower = text.trim().toLowerCase();
  if (lower === "warning") return "warn";
  return LOG_LEVELS.find(level => level === lower);
}
