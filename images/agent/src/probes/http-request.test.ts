// Pure request-building rules of the HTTP prober.

import {
  buildHeaders,
  hostHeader,
  normalizePath,
  serializeRequest,
  sniName,
  statusMatcher,
} from "./http-request.js";

describe("normalizePath", () => {
  it.each([
    // empty and relative paths get one leading slash
    ["", "/"],
    ["healthz", "/healthz"],
    // the Go agent's `//path` bug: collapse leading slashes
    ["//healthz", "/healthz"],
    ["///a//b", "/a//b"],
    // the query string is kept, the fragment is never sent
    ["/ready?full=1", "/ready?full=1"],
    ["/ready#top", "/ready"],
    // characters Node refuses in a path are percent-encoded, existing escapes are kept
    ["/a b", "/a%20b"],
    ["/ü", "/%C3%BC"],
    ["/a%20b", "/a%20b"],
  ])("%j -> %j", (input, expected) => {
    expect(normalizePath(input)).toBe(expected);
  });
});

describe("hostHeader", () => {
  it.each<[string, number, boolean, string | undefined, string]>([
    // default: the pod address, with the port unless it is the scheme's default
    ["10.0.0.5", 8080, false, undefined, "10.0.0.5:8080"],
    ["10.0.0.5", 80, false, undefined, "10.0.0.5"],
    ["10.0.0.5", 443, true, undefined, "10.0.0.5"],
    ["10.0.0.5", 80, true, undefined, "10.0.0.5:80"],
    // IPv6 literals are bracketed
    ["fd00::5", 8080, false, undefined, "[fd00::5]:8080"],
    // an explicit host is sent as given (like the Go agent)
    ["10.0.0.5", 8080, false, "app.example", "app.example"],
    ["10.0.0.5", 8080, false, "", "10.0.0.5:8080"],
  ])("%s:%d https=%s host=%s -> %s", (address, port, https, host, expected) => {
    expect(hostHeader(address, port, https, host)).toBe(expected);
  });
});

describe("sniName", () => {
  it.each<[string | undefined, string | undefined]>([
    [undefined, undefined],
    ["", undefined],
    ["app.example", "app.example"],
    ["app.example:8443", "app.example"],
    // RFC 6066: never an IP literal
    ["10.0.0.5", undefined],
    ["fd00::5", undefined],
    ["[fd00::5]", undefined],
  ])("%j -> %j", (host, expected) => {
    expect(sniName(host)).toBe(expected);
  });
});

describe("buildHeaders", () => {
  it("puts Host and User-Agent first and lets probe headers override them", () => {
    expect(buildHeaders("h:1", [], "ua")).toEqual({ host: "h:1", "user-agent": "ua" });
    expect(
      buildHeaders(
        "h:1",
        [
          { name: "Host", value: "v.example" },
          { name: "User-Agent", value: "kube-probe/1.31" },
        ],
        "ua",
      ),
    ).toEqual({ host: "v.example", "user-agent": "kube-probe/1.31" });
  });

  it("sends repeated names as repeated values, case-insensitively", () => {
    expect(
      buildHeaders(
        "h",
        [
          { name: "X-A", value: "1" },
          { name: "x-a", value: "2" },
          { name: "X-A", value: "3" },
        ],
        "ua",
      )["x-a"],
    ).toEqual(["1", "2", "3"]);
  });
});

describe("statusMatcher", () => {
  it.each<[ReadonlyArray<readonly [number, number]>, number, boolean]>([
    // [] means 200-399
    [[], 199, false],
    [[], 200, true],
    [[], 302, true],
    [[], 399, true],
    [[], 400, false],
    // one range, inclusive on both ends
    [[[200, 204]], 204, true],
    [[[200, 204]], 205, false],
    // several ranges
    [
      [
        [200, 200],
        [401, 401],
      ],
      401,
      true,
    ],
    [
      [
        [200, 200],
        [401, 401],
      ],
      302,
      false,
    ],
  ])("ranges %j, status %d -> %s", (ranges, status, expected) => {
    expect(statusMatcher(ranges)(status)).toBe(expected);
  });
});

describe("serializeRequest", () => {
  it("writes the request line, the headers in order, and Connection: close last", () => {
    const headers = buildHeaders("10.0.0.5:8080", [{ name: "X-A", value: "1" }], "ua");
    expect(serializeRequest("GET", "/healthz", headers).toString("latin1")).toBe(
      "GET /healthz HTTP/1.1\r\nhost: 10.0.0.5:8080\r\nuser-agent: ua\r\nx-a: 1\r\n" +
        "connection: close\r\n\r\n",
    );
  });

  it("repeats a header given several values and replaces the probe's Connection header", () => {
    const text = serializeRequest("HEAD", "/", {
      host: "h",
      "x-a": ["1", "2"],
      connection: "keep-alive",
    }).toString("latin1");
    expect(text).toBe(
      "HEAD / HTTP/1.1\r\nhost: h\r\nx-a: 1\r\nx-a: 2\r\nconnection: close\r\n\r\n",
    );
  });

  it("sends obs-text bytes of a value as they are", () => {
    const bytes = serializeRequest("GET", "/", { host: "h", "x-name": "caf\u00e9" });
    expect(bytes.includes(Buffer.from([0x63, 0x61, 0x66, 0xe9]))).toBe(true);
  });

  it.each<[Record<string, string>, string]>([
    // request splitting through a value
    [{ "x-a": "1\r\nInjected: yes" }, "invalid value of header x-a"],
    [{ "x-a": "nul\u0000" }, "invalid value of header x-a"],
    // characters beyond latin1 cannot be sent as they are
    [{ "x-a": "\u20ac" }, "invalid value of header x-a"],
    // names must be tokens
    [{ "x a": "1" }, 'invalid header name "x a"'],
    [{ "x:a": "1" }, 'invalid header name "x:a"'],
  ])("refuses %j", (headers, message) => {
    expect(() => serializeRequest("GET", "/", headers)).toThrow(message);
  });
});
