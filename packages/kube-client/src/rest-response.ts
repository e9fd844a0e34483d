// Reads an API server's response: the whole body as text, or a watch stream line by line into
// watch events; and turns a failed call (an error status or a network failure) into a
// KubeApiError that names the verb and path.

import type * as http from "node:http";
import { KubeApiError } from "./errors.js";
import type { RawStatus } from "./objects.js";
import type { RequestSpec, WatchEvent } from "./rest-types.js";

/** The whole body, as UTF-8 text. */
export function readAll(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (chunk: Buffer) => chunks.push(chunk));
    res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    res.on("error", reject);
    res.on("aborted", () => reject(new Error("response aborted")));
  });
}

/** One line of a watch stream; a line that is not JSON is a broken stream (a network failure). */
export function parseWatchEvent(line: string): WatchEvent {
  try {
    return JSON.parse(line) as WatchEvent;
  } catch (err) {
    throw new Error("unreadable watch event", { cause: err });
  }
}

/**
 * Calls `onLine` for every newline-terminated line; resolves at the end of the stream, rejects
 * with what `onLine` threw (as it is: a KubeApiError from an ERROR event keeps its status).
 */
export function readLines(
  res: http.IncomingMessage,
  onLine: (line: string) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let pending = "";
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      pending += chunk;
      let newline = pending.indexOf("\n");
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        try {
          onLine(line);
        } catch (err) {
          res.destroy();
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        newline = pending.indexOf("\n");
      }
    });
    res.on("end", () => resolve());
    res.on("error", reject);
    res.on("close", () => (res.complete ? resolve() : reject(new Error("watch stream closed"))));
  });
}

/** The error for a non-2xx `status` with body `text`, or undefined for a 2xx. */
export function statusError(
  spec: RequestSpec,
  status: number,
  text: string,
): KubeApiError | undefined {
  if (status >= 200 && status < 300) return undefined;
  const parsed = parseStatus(text);
  const detail = parsed.message ?? (text.slice(0, 200) || `HTTP ${status}`);
  return new KubeApiError(`${spec.verb} ${spec.path}: ${status} ${detail}`, {
    status,
    ...(parsed.reason ? { reason: parsed.reason } : {}),
    verb: spec.verb,
    resource: spec.resource,
  });
}

/** `err` as a KubeApiError: as it is if it already is one, else a network error (status 0). */
export function asKubeApiError(
  spec: RequestSpec,
  err: unknown,
  why: string | undefined,
): KubeApiError {
  if (err instanceof KubeApiError) return err;
  const message = why ?? (err instanceof Error ? err.message : String(err));
  return new KubeApiError(
    `${spec.verb} ${spec.path}: ${message}`,
    { status: 0, verb: spec.verb, resource: spec.resource },
    { cause: err },
  );
}

/** The metrics code of a failed call: its HTTP status, or `network`. */
export function failureCode(err: unknown): string {
  return err instanceof KubeApiError && err.status ? String(err.status) : "network";
}

function parseStatus(text: string): RawStatus {
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === "object" && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}
