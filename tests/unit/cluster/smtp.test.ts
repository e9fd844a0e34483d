// The test backends' SMTP-like answers by mode: enough SMTP for the probe's conversation in the
// e2e scenarios (greeting, EHLO, QUIT), a wedged server that says nothing, a refusing one.
import { smtpGreeting, smtpReply } from "../../cluster/backends/smtp.js";

const who = { host: "vm-1", name: "smtp" };

describe("smtpGreeting", () => {
  it.each([
    ["ready", "220 vm-1 smtp ESMTP ready\r\n"],
    ["wedged", undefined],
    ["refusing", "554 vm-1 smtp no service here\r\n"],
  ] as const)("in mode %s greets %j", (mode, want) => {
    expect(smtpGreeting(mode, who)).toBe(want);
  });
});

describe("smtpReply", () => {
  it.each([
    // the seed's conversation
    ["ready", "EHLO swh-probe", { reply: "250 vm-1 smtp greets you\r\n", close: false }],
    ["ready", "quit", { reply: "221 bye\r\n", close: true }],
    // anything else is accepted, as before
    ["ready", "NOOP", { reply: "250 ok\r\n", close: false }],
    // refusing: only QUIT works
    ["refusing", "EHLO swh-probe", { reply: "503 bad sequence of commands\r\n", close: false }],
    ["refusing", "QUIT", { reply: "221 bye\r\n", close: true }],
    // wedged: never a word
    ["wedged", "QUIT", undefined],
  ] as const)("in mode %s answers %j with %j", (mode, line, want) => {
    expect(smtpReply(mode, who, line)).toEqual(want);
  });
});
