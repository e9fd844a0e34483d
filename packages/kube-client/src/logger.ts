// The logger the client writes to: four levels and structured fields. Any logger with these
// methods fits (the agent's JSON logger does); the client never formats or sinks lines itself.

/** Structured fields of a log line. */
export type KubeLogFields = Readonly<Record<string, unknown>>;

/** What the client needs of a logger. */
export interface KubeLogger {
  debug(msg: string, fields?: KubeLogFields): void;
  info(msg: string, fields?: KubeLogFields): void;
  warn(msg: string, fields?: KubeLogFields): void;
  error(msg: string, fields?: KubeLogFields): void;
}
