// The response-head parser on its own: whole responses, responses cut at every byte, HTTP/1.0,
// interim 1xx responses, bare-LF line ends, and every way a response can be refused.

import {
  MAX_HEAD_BYTES,
  MAX_STATUS_LINE_BYTES,
  RESPONSE_ERRORS,
  ResponseHeadParser,
} from "./http-response.js";

/** Feeds `pieces` one by one; returns the parser, the result of each push and the body offset. */
function feed(...pieces: string[]): { parser: ResponseHeadParser; results: number[] } {
  const parser = new ResponseHeadParser();
  const results = pieces.map(piece => parser.push(Buffer.from(piece, "latin1")));
  return { parser, results };
}

const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n";

describe("ResponseHeadParser", () => {
  it("reads the status of a whole response and says where its body starts", () => {
    const { parser, results } = feed(`${OK}ok`);
    expect(results).toEqual([OK.length]);
    expect(parser.status).toBe(200);
    expect(parser.done).toBe(true);
    expect(parser.end()).toBeUndefined();
  });

  it("reads a response cut into pieces at every possible byte", () => {
    const text = `${OK}ok`;
    for (let cut = 1; cut < OK.length; cut++) {
      const { parser, results } = feed(text.slice(0, cut), text.slice(cut));
      expect(results).toEqual([-1, OK.length - cut]);
      expect(parser.status).toBe(200);
    }
  });

  it("reads a response that arrives one byte at a time", () => {
    const { parser, results } = feed(...OK.split(""));
    expect(results.slice(0, -1).every(r => r === -1)).toBe(true);
    expect(results.at(-1)).toBe(1);
    expect(parser.status).toBe(200);
  });

  it.each([
    // HTTP/1.0, no reason phrase, an empty reason phrase, bare LF line ends, no headers at all
    ["HTTP/1.0 503 Service Unavailable\r\n\r\n", 503],
    ["HTTP/1.1 204\r\n\r\n", 204],
    ["HTTP/1.1 302 \r\nLocation: /x\r\n\r\n", 302],
    ["HTTP/1.1 404 Not Found\nContent-Length: 0\n\n", 404],
    // a status the default range does not accept is still a status
    ["HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", 101],
  ])("reads %j as %d", (text, status) => {
    const { parser, results } = feed(text);
    expect(results).toEqual([text.length]);
    expect(parser.status).toBe(status);
  });

  it("skips interim 1xx responses and reads the final one", () => {
    const interim = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n";
    const final = "HTTP/1.1 503 Service Unavailable\r\n\r\n";
    const { parser, results } = feed(interim.slice(0, 30), interim.slice(30) + final);
    expect(results).toEqual([-1, interim.length - 30 + final.length]);
    expect(parser.status).toBe(503);
  });

  it.each([
    // not HTTP at all: refused on the first bytes, without waiting for a line end
    ["SSH-2.0-OpenSSH_9.2", RESPONSE_ERRORS.notHttp],
    ["\u0015\u0003\u0001\u0000\u0002", RESPONSE_ERRORS.notHttp],
    // HTTP-like but broken status lines
    ["HTTP/1.1 20 OK\r\n\r\n", RESPONSE_ERRORS.notHttp],
    ["HTTP/1.1 2000 OK\r\n\r\n", RESPONSE_ERRORS.notHttp],
    ["HTTP/1.1200 OK\r\n\r\n", RESPONSE_ERRORS.notHttp],
    ["HTTP/x.1 200 OK\r\n\r\n", RESPONSE_ERRORS.notHttp],
    ["http/1.1 200 OK\r\n\r\n", RESPONSE_ERRORS.notHttp],
  ])("refuses %j", (text, reason) => {
    const { parser, results } = feed(text);
    expect(results).toEqual([-2]);
    expect(parser.failure).toBe(reason);
    expect(parser.end()).toBe(reason);
  });

  it("refuses garbage as soon as its first bytes differ from HTTP/", () => {
    const { parser, results } = feed("HT", "X");
    expect(results).toEqual([-1, -2]);
    expect(parser.failure).toBe(RESPONSE_ERRORS.notHttp);
  });

  it("refuses a status line longer than its limit", () => {
    const { results, parser } = feed(`HTTP/1.1 200 ${"x".repeat(MAX_STATUS_LINE_BYTES)}`);
    expect(results).toEqual([-2]);
    expect(parser.failure).toBe(RESPONSE_ERRORS.statusLineTooLong);
  });

  it("refuses a head larger than its limit, in one piece or many", () => {
    const header = `X-Filler: ${"y".repeat(1000)}\r\n`;
    const head = `HTTP/1.1 200 OK\r\n${header.repeat(Math.ceil(MAX_HEAD_BYTES / 1000))}\r\n`;
    expect(feed(head).parser.failure).toBe(RESPONSE_ERRORS.headTooLarge);
    const pieces = feed(...head.match(/[^]{1,700}/g)!);
    expect(pieces.results.at(-1)).toBe(-2);
    expect(pieces.parser.failure).toBe(RESPONSE_ERRORS.headTooLarge);
  });

  it("counts interim heads separately from the final one", () => {
    const interim = `HTTP/1.1 103 Early Hints\r\nLink: ${"z".repeat(MAX_HEAD_BYTES - 100)}\r\n\r\n`;
    const { parser } = feed(interim, "HTTP/1.1 200 OK\r\n\r\n");
    expect(parser.status).toBe(200);
  });

  it.each([
    ["", RESPONSE_ERRORS.closedBeforeResponse],
    ["HTTP/1.1 2", RESPONSE_ERRORS.closedInHead],
    ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", RESPONSE_ERRORS.closedInHead],
    ["HTTP/1.1 100 Continue\r\n\r\n", RESPONSE_ERRORS.closedInHead],
  ])("at the end of the connection after %j fails with %j", (text, reason) => {
    const parser = new ResponseHeadParser();
    if (text !== "") expect(parser.push(Buffer.from(text))).toBe(-1);
    expect(parser.end()).toBe(reason);
    expect(parser.failure).toBe(reason);
  });

  it("reads only the given length of a reused buffer", () => {
    const buffer = Buffer.alloc(256, 0x41);
    const written = buffer.write(OK, "latin1");
    const parser = new ResponseHeadParser();
    expect(parser.push(buffer, written - 2)).toBe(-1);
    buffer.write("\r\n", 0, "latin1");
    expect(parser.push(buffer, 2)).toBe(2);
    expect(parser.status).toBe(200);
  });
});
