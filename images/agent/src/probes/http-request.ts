// Pure pieces of an HTTP probe request, kept apart from the socket code so each rule is unit
// tested on its own: the request path (normalised, never `//path`), the Host header and TLS SNI
// name, the header list, the request's bytes on the wire (always `Connection: close`), and which
// status codes pass.

import { isIP } from "node:net";

/** Status codes accepted when a probe lists none: 2xx and 3xx, like the kubelet. */
export const DEFAULT_STATUS_RANGES: ReadonlyArray<readonly [number, number]> = [[200, 399]];

/**
 * The request target sent on the wire: always starts with exactly one `/`, drops any fragment,
 * and percent-encodes characters Node.js refuses in a path (spaces, controls, non-ASCII), while
 * leaving existing `%xx` escapes and the query string alone.
 */
export function normalizePath(path: string): string {
  const hash = path.indexOf("#");
  const withoutFragment = hash < 0 ? path : path.slice(0, hash);
  const trimmed = withoutFragment.replace(/^\/+/, "");
  return `/${trimmed}`.replace(/[^\u0021-\u007e]/gu, char => encodeURIComponent(char));
}

/** `address` as it appears in a URL authority: IPv6 literals in brackets. */
export function authorityHost(address: string): string {
  return isIP(address) === 6 ? `[${address}]` : address;
}

/**
 * The Host header: the probe's `host` as given when set (virtual hosting, like the Go agent),
 * otherwise the pod address with the port unless it is the scheme's default.
 */
export function hostHeader(address: string, port: number, https: boolean, host?: string): string {
  if (host !== undefined && host !== "") return host;
  const defaultPort = https ? 443 : 80;
  const hostPart = authorityHost(address);
  return port === defaultPort ? hostPart : `${hostPart}:${port}`;
}

/** TLS SNI name: the probe's `host` unless it is empty or an IP literal (RFC 6066 forbids IPs). */
export function sniName(host?: string): string | undefined {
  if (host === undefined || host === "") return undefined;
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  return isIP(bare) === 0 ? stripPort(host) : undefined;
}

function stripPort(host: string): string {
  const colon = host.lastIndexOf(":");
  return colon > 0 && /^\d+$/.test(host.slice(colon + 1)) ? host.slice(0, colon) : host;
}

/**
 * Request headers as a plain object: Host first, then the probe's headers (a probe header named
 * Host, in any case, replaces the default one; repeated names are sent as repeated headers), and
 * a User-Agent unless the probe sets one.
 */
export function buildHeaders(
  defaultHost: string,
  headers: ReadonlyArray<{ name: string; value: string }>,
  userAgent: string,
): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = { host: defaultHost, "user-agent": userAgent };
  const seen = new Set<string>();
  for (const { name, value } of headers) {
    const key = name.toLowerCase();
    const previous = result[key];
    if (!seen.has(key) || previous === undefined) result[key] = value;
    else result[key] = Array.isArray(previous) ? [...previous, value] : [previous, value];
    seen.add(key);
  }
  return result;
}

/** A status predicate from inclusive ranges; an empty list means 200-399. */
export function statusMatcher(
  ranges: ReadonlyArray<readonly [number, number]>,
): (status: number) => boolean {
  const effective = ranges.length === 0 ? DEFAULT_STATUS_RANGES : ranges;
  if (effective.length === 1) {
    const [low, high] = effective[0]!;
    return status => status >= low && status <= high;
  }
  return status => effective.some(([low, high]) => status >= low && status <= high);
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Field values: visible ASCII, spaces, tabs and obs-text bytes; never CR, LF or NUL. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * The whole request as sent: request line, `headers` (from buildHeaders; arrays become repeated
 * lines) and `Connection: close`, which replaces any Connection header of the probe: every probe
 * is one exchange on its own connection, and the server closing first keeps the TIME_WAIT on its
 * side. Throws on a header name or value HTTP does not allow (the CRD rejects them already; this
 * guards against request splitting whatever the source), naming the header but not its value.
 */
export function serializeRequest(
  method: string,
  path: string,
  headers: Readonly<Record<string, string | readonly string[]>>,
): Buffer {
  let text = `${method} ${path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (name === "connection") continue;
    if (!TOKEN.test(name)) throw new Error(`invalid header name ${JSON.stringify(name)}`);
    for (const item of typeof value === "string" ? [value] : value) {
      if (!FIELD_VALUE.test(item)) throw new Error(`invalid value of header ${name}`);
      text += `${name}: ${item}\r\n`;
    }
  }
  return Buffer.from(`${text}connection: close\r\n\r\n`, "latin1");
}
