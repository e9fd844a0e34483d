// Sends one API request over node:http(s): the URL from the server and the request's path and
// query, the HTTP method from the verb, the JSON body and headers; resolves with the response
// once its headers arrive.

import * as http from "node:http";
import * as https from "node:https";
import type { AuthState } from "./rest-auth.js";
import type { ApiVerb, RequestSpec } from "./rest-types.js";

/** Where and how one request is sent. */
export interface RequestTarget {
  readonly server: URL;
  readonly auth: AuthState;
  readonly userAgent: string;
  readonly signal: AbortSignal;
}

/** Sends `spec`; resolves with the response (any status), rejects on a network error. */
export function openRequest(
  spec: RequestSpec,
  target: RequestTarget,
): Promise<http.IncomingMessage> {
  const url = requestUrl(target.server, spec);
  const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
  const headers: Record<string, string> = {
    ...target.auth.headers,
    Accept: "application/json",
    "User-Agent": target.userAgent,
    ...(body === undefined
      ? {}
      : {
          "Content-Type": spec.contentType ?? "application/json",
          "Content-Length": String(Buffer.byteLength(body)),
        }),
  };
  const transport = url.protocol === "http:" ? http : https;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      url,
      { method: methodOf(spec.verb), headers, agent: target.auth.agent, signal: target.signal },
      resolve,
    );
    req.on("error", reject);
    req.end(body);
  });
}

function requestUrl(server: URL, spec: RequestSpec): URL {
  const url = new URL(server.pathname.replace(/\/$/, "") + spec.path, server);
  for (const [key, value] of Object.entries(spec.query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  return url;
}

function methodOf(verb: ApiVerb): string {
  switch (verb) {
    case "create":
      return "POST";
    case "update":
      return "PUT";
    case "patch":
      return "PATCH";
    case "delete":
      return "DELETE";
    default:
      return "GET";
  }
}
