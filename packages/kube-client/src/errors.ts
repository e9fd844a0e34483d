// The one error type of the agent's API calls, carrying what callers branch on (HTTP status and
// the Status reason) and what logs need (verb, resource, path). Network failures and timeouts
// use status 0, so "retry later" decisions have a single shape to look at.

/** What failed when talking to the API server. */
export class KubeApiError extends Error {
  /** HTTP status; 0 for network errors, timeouts and aborted requests. */
  readonly status: number;
  /** The Status object's `reason` (e.g. `AlreadyExists`, `Conflict`, `Expired`), when sent. */
  readonly reason: string;
  readonly verb: string;
  readonly resource: string;

  constructor(
    message: string,
    details: { status: number; reason?: string; verb: string; resource: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "KubeApiError";
    this.status = details.status;
    this.reason = details.reason ?? "";
    this.verb = details.verb;
    this.resource = details.resource;
  }
}

/** HTTP status of an error from the REST layer, 0 when it is not one. */
export function statusOf(err: unknown): number {
  return err instanceof KubeApiError ? err.status : 0;
}

/** The object does not exist. */
export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404;
}

/** An optimistic-concurrency conflict or an AlreadyExists on create. */
export function isConflict(err: unknown): boolean {
  return statusOf(err) === 409;
}

/** The resourceVersion is too old (HTTP 410, or reason Expired/Gone). */
export function isGone(err: unknown): boolean {
  return (
    statusOf(err) === 410 ||
    (err instanceof KubeApiError && (err.reason === "Expired" || err.reason === "Gone"))
  );
}

/** The agent lacks permission. */
export function isForbidden(err: unknown): boolean {
  return statusOf(err) === 403;
}

/** A short label for metrics and logs: the HTTP status, or `network`. */
export function errorCode(err: unknown): string {
  const status = statusOf(err);
  return status === 0 ? "network" : String(status);
}

/** The message of any thrown value, with causes appended (`a: b: c`). */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    if (current instanceof Error) {
      parts.push(current.message);
      current = current.cause;
    } else {
      parts.push(typeof current === "string" ? current : (JSON.stringify(current) ?? ""));
      current = undefined;
    }
  }
  return parts.filter(p => p !== "").join(": ");
}
