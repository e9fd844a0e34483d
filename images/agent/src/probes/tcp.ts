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

import { connect, type Socket } from "node:net";
import { errorReason, failed, monotonicMs, passed, timeoutReason } from "./outcome.js";
import type { ProbeOutcome, ProbeSpec } from "./types.js";

/** Probes `address:spec.port` by connecting and resetting; never throws. */
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
    let settled = false;
    const settle = (outcome: ProbeOutcome, connected: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (connected) socket.resetAndDestroy();
      else socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(
      () => settle(failed(startedAt, timeoutReason(timeoutMs)), false),
      timeoutMs,
    );
    socket.once("connect", () => settle(passed(startedAt), true));
    // Stays attached after settling: a late error on a destroyed socket must not go unhandled.
    socket.on("error", error => settle(failed(startedAt, errorReason("connect", error)), false));
  });
}
