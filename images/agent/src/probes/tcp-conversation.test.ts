// The pure half of TCP conversations: literal matching on bytes (prefix decided as soon as it
// can be, contains waiting), the end of a matched line, escaping what the server sent into a
// reason, naming the failing step, and validating the API's steps again.
import {
  CONVERSATION_READ_LIMIT,
  describeStep,
  escapeBytes,
  expectFailureReason,
  expectFollows,
  judgeExpect,
  lineEndAfter,
  parseConversation,
  type ConversationStep,
} from "./tcp-conversation.js";

type Expect = Extract<ConversationStep, { kind: "expect" }>;
const prefix = (text: string): Expect => ({ kind: "expect", match: "prefix", text });
const contains = (text: string): Expect => ({ kind: "expect", match: "contains", text });
const judge = (step: Expect, received: string) =>
  judgeExpect(step, Buffer.from(step.text), Buffer.from(received, "latin1"));

describe("judgeExpect", () => {
  it.each([
    // nothing yet: a prefix waits
    [prefix("220"), "", "wait"],
    // part of the prefix, agreeing so far: wait for the rest
    [prefix("220"), "22", "wait"],
    // the first byte already differs: decided at once, no waiting for the timeout
    [prefix("220"), "5", "mismatch"],
    [prefix("220"), "554 go away\r\n", "mismatch"],
    // the prefix and more
    [prefix("220"), "220 mail ESMTP\r\n", { end: 3 }],
    // case-sensitive
    [prefix("+PONG"), "+pong\r\n", "mismatch"],
    // contains: anywhere, waiting until it shows up
    [contains("+PONG"), "", "wait"],
    [contains("+PONG"), "-ERR\r\n+PO", "wait"],
    [contains("+PONG"), "-ERR\r\n+PONG\r\n", { end: 11 }],
    // a text that ends with the newline
    [contains("OK\r\n"), "* OK\r\n", { end: 6 }],
  ])("given %j and %j, returns %j", (step, received, want) => {
    expect(judge(step, received)).toEqual(want);
  });

  it("compares bytes, so a non-ASCII text matches its UTF-8 encoding", () => {
    const step = prefix("Привет");
    expect(judgeExpect(step, Buffer.from(step.text), Buffer.from("Привет!"))).toEqual({
      end: Buffer.byteLength("Привет"),
    });
  });
});

describe("lineEndAfter", () => {
  it.each([
    // the line has not ended yet
    ["220 mail", 3, -1],
    // ends past the match: just after the \n
    ["220 mail\r\n250", 3, 10],
    // the match itself ends with the \n
    ["OK\n", 3, 3],
    // a \n before the match does not count
    ["x\n220 y", 5, -1],
  ])("given %j and end %d, returns %d", (received, end, want) => {
    expect(lineEndAfter(Buffer.from(received), end)).toBe(want);
  });
});

describe("expectFollows", () => {
  const steps: ConversationStep[] = [prefix("220"), { kind: "send", line: "QUIT" }, prefix("221")];
  it("tells whether a later step is an expect", () => {
    expect([0, 1, 2].map(i => expectFollows(steps, i))).toEqual([true, true, false]);
  });
});

describe("escapeBytes", () => {
  it.each([
    // printable ASCII as it is
    ["220 mail ESMTP", 64, '"220 mail ESMTP"'],
    // line endings, tabs, quotes and backslashes named
    ['a\r\n\t"\\', 64, '"a\\r\\n\\t\\"\\\\"'],
    // other control bytes, DEL and non-ASCII bytes in hex
    ["\x00\x1b\x7f\xff", 64, '"\\x00\\x1b\\x7f\\xff"'],
    // cut after maxBytes, marked after the quote
    ["abcdef", 3, '"abc"…'],
  ])("given %j and %d, returns %s", (text, max, want) => {
    expect(escapeBytes(Buffer.from(text, "latin1"), max)).toBe(want);
  });
});

describe("reasons", () => {
  it("names the step with its index as in the manifest, and its kind", () => {
    expect(describeStep(2, prefix("250"))).toBe('conversation[2] expect prefix "250"');
    expect(describeStep(1, contains("+PONG"))).toBe('conversation[1] expect contains "+PONG"');
    expect(describeStep(3, { kind: "send", line: "QUIT" })).toBe("conversation[3] send");
  });

  it.each([
    [
      { kind: "mismatch" as const },
      "554 go away\r\n",
      'conversation[0] expect prefix "220": received "554 go away\\r\\n"',
    ],
    [
      { kind: "timeout" as const, timeoutMs: 1000 },
      "",
      'conversation[0] expect prefix "220": timeout after 1000 ms, received nothing',
    ],
    [
      { kind: "closed" as const },
      "",
      'conversation[0] expect prefix "220": connection closed, received nothing',
    ],
    [
      { kind: "limit" as const },
      "x",
      `conversation[0] expect prefix "220": no match in the first ${CONVERSATION_READ_LIMIT} bytes, received "x"`,
    ],
    [
      { kind: "error" as const, error: "connection ECONNRESET" },
      "",
      'conversation[0] expect prefix "220": connection ECONNRESET, received nothing',
    ],
  ])("given %j and %j, says %s", (stop, received, want) => {
    expect(expectFailureReason(0, prefix("220"), stop, Buffer.from(received))).toBe(want);
  });

  it("stays short with a long reply: 64 bytes shown", () => {
    const reason = expectFailureReason(
      0,
      prefix("220"),
      { kind: "mismatch" },
      Buffer.alloc(4096, 0x41),
    );
    expect(reason).toBe(`conversation[0] expect prefix "220": received "${"A".repeat(64)}"…`);
  });
});

describe("parseConversation", () => {
  it("turns the seed's SMTP conversation into steps", () => {
    expect(
      parseConversation([
        { expect: { prefix: "220" } },
        { send: "EHLO swh-probe" },
        { expect: { contains: "250" } },
        { send: "QUIT" },
      ]),
    ).toEqual([
      prefix("220"),
      { kind: "send", line: "EHLO swh-probe" },
      contains("250"),
      { kind: "send", line: "QUIT" },
    ]);
  });

  it.each([
    // what the CRD refuses, refused again for an SWH stored under an older schema
    [[], "conversation must have 1-8 steps, has 0"],
    [
      Array.from({ length: 9 }, () => ({ expect: { prefix: "1" } })),
      "conversation must have 1-8 steps, has 9",
    ],
    [[{}], "conversation[0] must set exactly one of send and expect"],
    [
      [{ send: "a", expect: { prefix: "b" } }],
      "conversation[0] must set exactly one of send and expect",
    ],
    [
      [{ expect: { prefix: "2" } }, { send: "a\r\nb" }],
      "conversation[1].send must be one line without CR or LF",
    ],
    [[{ send: "x".repeat(513) }], "conversation[0].send is over 512 characters"],
    [[{ expect: {} }], "conversation[0].expect must set exactly one of prefix and contains"],
    [
      [{ expect: { prefix: "a", contains: "b" } }],
      "conversation[0].expect must set exactly one of prefix and contains",
    ],
    [[{ expect: { prefix: "" } }], "conversation[0].expect text must be 1-256 characters"],
    [[{ send: "QUIT" }], "conversation needs at least one expect step"],
  ])("refuses %j: %s", (inputs, error) => {
    expect(parseConversation(inputs)).toEqual({ error });
  });
});
