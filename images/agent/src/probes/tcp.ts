// TCP prober: a probe passes when a TCP connection to address:port is established within the
// timeout. Nothing is written to the peer (the Go agent wrote "test", which lands in the
// application's logs or protocol parser as garbage).
//
// Closing: once connected we close with an RST (`resetAndDestroy`, i.e. SO_LINGER 0) rather
// than a FIN (`end`). The side that closes first with a FIN keeps the connection in TIME_WAIT
// for 60 s; at 10,000 probes/s that is 600,000 sockets, past the kernel's tw bucket limit and
// the ephemeral port range toward a busy target. An RST leaves no TIME_WAIT on either side. The
// cost is that the server sees a reset instead of an orderly close; HAProxy's TCP checks close
// the same way. A probe that times out while still connecting is plainly destroyed (the kernel
// drops the half-open attempt; there is nothing to reset yet).
//
// With `conversation` (tcp-dialog.ts), the connected socket first runs its send/expect steps
// within the same timeout. A failed step resets the connection. When every step passed and the
// last one was a send (a protocol's QUIT), the probe waits for the server to close first (at
// most until the timeout, then resets), so the server reads the goodbye and the TIME_WAIT stays
// on its side; after a last expect it resets, as without a conversation.

import { connect, type Socket } from "node:net";
import { errorReason, failed, monotonicMs, passed, timeoutReason } from "./outcome.js";
import { Dialog, type DialogEnd } from "./tcp-dialog.js";
import type { ProbeOutcome, ProbeSpec } from "./types.js";

type Close = "reset" | "destroy" | "await-close";

/**
 * On connect: passes at once without a conversation, else starts the dialog and returns it;
 * its end settles the probe (a pass after a final send awaits the server's close).
 */
function converse(
  spec: ProbeSpec,
  socket: Socket,
  startedAt: number,
  settle: (result: ProbeOutcome, close: Close) => void,
): Dialog | undefined {
  const steps = spec.mode === "TCP" ? spec.conversation : undefined;
  if (steps === undefined) {
    settle(passed(startedAt), "reset");
    return undefined;
  }
  const dialog = new Dialog(steps, socket, (end: DialogEnd) =>
    end.ok
      ? settle(passed(startedAt), end.awaitClose ? "await-close" : "reset")
      : settle(failed(startedAt, end.reason), "reset"),
  );
  dialog.start();
  return dialog;
}

/** Probes `address:spec.port` by connecting (and conversing); never throws. */
export function probeTcp(
  address: string,
  spec: ProbeSpec,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  const startedAt = monotonicMs();
  return new Promise(resolve => {
    let socket: Socket;
    try {
      socket = connect({ host: address, port: spec.port });
    } catch (error) {
      resolve(failed(startedAt, errorReason("connect", error)));
      return;
    }
    let dialog: Dialog | undefined;
    let outcome: ProbeOutcome | undefined;
    const settle = (result: ProbeOutcome, close: Close): void => {
      if (outcome !== undefined) return;
      outcome = result;
      if (close === "await-close") {
        socket.resume(); // read to the server's FIN, even past the dialog's 4 KiB cap
        return; // resolved on "close" or at the timeout
      }
      clearTimeout(timer);
      if (close === "reset") socket.resetAndDestroy();
      else socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => {
      if (outcome !== undefined) {
        socket.resetAndDestroy(); // the server did not close after the last send: pass anyway
        resolve(outcome);
      } else if (dialog !== undefined) {
        settle(failed(startedAt, dialog.timeoutReason(timeoutMs)), "reset");
      } else {
        settle(failed(startedAt, timeoutReason(timeoutMs)), "destroy");
      }
    }, timeoutMs);
    socket.once("close", () => {
      clearTimeout(timer);
      if (outcome !== undefined) resolve(outcome);
    });
    socket.once("connect", () => {
      dialog = converse(spec, socket, startedAt, settle);
    });
    // Stays attached after settling: a late error on a destroyed socket must not go unhandled.
    socket.on("error", error => {
      if (dialog !== undefined) dialog.fail(error);
      else settle(failed(startedAt, errorReason("connect", error)), "destroy");
    });
  });
}
