// The pure half of a TCP conversation (`tcp.conversation` of a probe): what a step is once
// validated, how an `expect` step judges the bytes received so far, and how a failing step is
// reported. Matching is literal, byte for byte (`prefix` or `contains`): no user regular
// expression ever runs in the agent, so a manifest cannot make it backtrack for seconds. The
// socket half, which feeds these functions, is tcp.ts.

/** At most this many bytes are read from the server in one probe, all steps together. */
export const CONVERSATION_READ_LIMIT = 4096;

/** At most this many received bytes are shown in a failure reason. */
export const RECEIVED_SHOWN_BYTES = 64;

/** How much of an expected text a failure reason repeats. */
const EXPECTED_SHOWN_CHARS = 40;

/** One validated step: a line to write (CRLF appended on the wire) or a literal to expect. */
export type ConversationStep =
  | { readonly kind: "send"; readonly line: string }
  | { readonly kind: "expect"; readonly match: "prefix" | "contains"; readonly text: string };

/**
 * The verdict of an expect step on the bytes received since the previous step: "wait" for
 * more, "mismatch" (a prefix that already differs), or a match ending at byte `end`.
 */
export type ExpectVerdict = "wait" | "mismatch" | { readonly end: number };

/** Judges `received` against `step`; `wanted` is the step's text as UTF-8 bytes. */
export function judgeExpect(
  step: Extract<ConversationStep, { kind: "expect" }>,
  wanted: Buffer,
  received: Buffer,
): ExpectVerdict {
  if (step.match === "contains") {
    const at = received.indexOf(wanted);
    return at < 0 ? "wait" : { end: at + wanted.length };
  }
  const common = Math.min(received.length, wanted.length);
  if (received.compare(wanted, 0, common, 0, common) !== 0) return "mismatch";
  return received.length >= wanted.length ? { end: wanted.length } : "wait";
}

/**
 * Where the line of a match ending at `end` ends: the index just past the first `\n` at or
 * after `end - 1` (a matched text may end with the newline itself), or -1 while it has not
 * arrived.
 */
export function lineEndAfter(received: Buffer, end: number): number {
  const at = received.indexOf(0x0a, Math.max(0, end - 1));
  return at < 0 ? -1 : at + 1;
}

/** Whether an `expect` step comes after step `index`. */
export function expectFollows(steps: readonly ConversationStep[], index: number): boolean {
  return steps.slice(index + 1).some(s => s.kind === "expect");
}

const NAMED_ESCAPES: Readonly<Record<number, string>> = {
  0x09: "\\t",
  0x0a: "\\n",
  0x0d: "\\r",
  0x22: '\\"',
  0x5c: "\\\\",
};

/**
 * Bytes as a quoted, printable-ASCII text: `\r`, `\n`, `\t`, `\"` and `\\` named, other
 * control and non-ASCII bytes as `\xNN`, cut after `maxBytes` bytes with `…` after the quote.
 */
export function escapeBytes(bytes: Buffer, maxBytes: number = RECEIVED_SHOWN_BYTES): string {
  let text = "";
  for (const byte of bytes.subarray(0, maxBytes)) {
    const named = NAMED_ESCAPES[byte];
    if (named !== undefined) text += named;
    else if (byte < 0x20 || byte >= 0x7f) text += `\\x${byte.toString(16).padStart(2, "0")}`;
    else text += String.fromCharCode(byte);
  }
  return `"${text}"${bytes.length > maxBytes ? "…" : ""}`;
}

/** How a step is named in reasons: `conversation[2] expect prefix "250"`, `conversation[1] send`. */
export function describeStep(index: number, step: ConversationStep): string {
  if (step.kind === "send") return `conversation[${index}] send`;
  const text = Buffer.from(step.text, "utf8");
  return `conversation[${index}] expect ${step.match} ${escapeBytes(text, EXPECTED_SHOWN_CHARS)}`;
}

/** Why an expect step stopped waiting without a match. */
export type ExpectStop =
  | { readonly kind: "mismatch" }
  | { readonly kind: "closed" }
  | { readonly kind: "limit" }
  | { readonly kind: "timeout"; readonly timeoutMs: number }
  | { readonly kind: "error"; readonly error: string };

function stopText(stop: ExpectStop): string {
  switch (stop.kind) {
    case "mismatch":
      return "";
    case "closed":
      return "connection closed, ";
    case "limit":
      return `no match in the first ${CONVERSATION_READ_LIMIT} bytes, `;
    case "timeout":
      return `timeout after ${stop.timeoutMs} ms, `;
    case "error":
      return `${stop.error}, `;
  }
}

/**
 * The reason of a failed expect step: the step, why it stopped, and what was received since
 * the previous step, e.g. `conversation[0] expect prefix "220": timeout after 1000 ms, received
 * nothing` or `conversation[2] expect prefix "250": received "554 go away\r\n"`.
 */
export function expectFailureReason(
  index: number,
  step: ConversationStep,
  stop: ExpectStop,
  received: Buffer,
): string {
  const shown = received.length === 0 ? "nothing" : escapeBytes(received);
  return `${describeStep(index, step)}: ${stopText(stop)}received ${shown}`;
}

/** A step of the API (`{send}` or `{expect: {prefix | contains}}`), as decoded from the SWH. */
export interface ConversationStepInput {
  send?: string;
  expect?: { prefix?: string; contains?: string };
}

/** The CRD's limits, checked again here: an SWH stored under an older schema is not re-validated. */
const MAX_STEPS = 8;
const MAX_SEND_LENGTH = 512;
const MAX_EXPECT_LENGTH = 256;

function parseStep(input: ConversationStepInput, index: number): ConversationStep | string {
  const where = `conversation[${index}]`;
  if ((input.send === undefined) === (input.expect === undefined)) {
    return `${where} must set exactly one of send and expect`;
  }
  if (input.send !== undefined) {
    if (/[\r\n]/.test(input.send)) return `${where}.send must be one line without CR or LF`;
    if (input.send.length > MAX_SEND_LENGTH)
      return `${where}.send is over ${MAX_SEND_LENGTH} characters`;
    return { kind: "send", line: input.send };
  }
  const { prefix, contains } = input.expect ?? {};
  const text = prefix ?? contains;
  if ((prefix === undefined) === (contains === undefined) || text === undefined) {
    return `${where}.expect must set exactly one of prefix and contains`;
  }
  if (text.length < 1 || text.length > MAX_EXPECT_LENGTH) {
    return `${where}.expect text must be 1-${MAX_EXPECT_LENGTH} characters`;
  }
  return { kind: "expect", match: prefix !== undefined ? "prefix" : "contains", text };
}

/** Validates a conversation of the API into steps, or says what is wrong with it. */
export function parseConversation(
  inputs: readonly ConversationStepInput[],
): ConversationStep[] | { error: string } {
  if (inputs.length < 1 || inputs.length > MAX_STEPS) {
    return { error: `conversation must have 1-${MAX_STEPS} steps, has ${inputs.length}` };
  }
  const steps: ConversationStep[] = [];
  for (const [index, input] of inputs.entries()) {
    const step = parseStep(input, index);
    if (typeof step === "string") return { error: step };
    steps.push(step);
  }
  if (!steps.some(s => s.kind === "expect")) {
    return { error: "conversation needs at least one expect step" };
  }
  return steps;
}
