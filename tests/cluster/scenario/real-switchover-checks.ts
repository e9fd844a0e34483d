// The switchover scenario's closing check, apart from real-switchover.ts so the demo (bundled,
// no jest) can use that one: once both Services have switched, writes and reads go only where
// they should.
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "@jest/globals";
import type { BackendClient } from "../backends/client.js";
import { sqlLoop, type ClientSwitchover } from "./real-switchover.js";
import { answersByPod } from "./sql-switchover.js";

/**
 * Once both Services have switched and kube-proxy has had a moment: every write through
 * postgres-write succeeds on db-1 out of recovery, every read through postgres-read on db-1 or db-2.
 */
export async function expectServedAfterSwitch(
  client: BackendClient,
  ips: { readonly writeIp: string; readonly readIp: string },
  run: ClientSwitchover,
): Promise<void> {
  const settled = (run.writeServiceSwitchedAt ?? Date.now()) + 3_000;
  if (settled > Date.now()) await sleep(settled - Date.now());
  const timing = { durationMs: 5_000, intervalMs: 100 };
  const [write, read] = await Promise.all([
    sqlLoop(client, ips.writeIp, "write", timing),
    sqlLoop(client, ips.readIp, "read", timing),
  ]);
  expect(write.failed).toBe(0);
  expect(new Set(write.samples.map(s => `${s.pod} inRecovery=${s.inRecovery}`))).toEqual(
    new Set(["db-1 inRecovery=false"]),
  );
  expect(read.failed).toBe(0);
  expect(["db-1", "db-2"]).toEqual(expect.arrayContaining(Object.keys(answersByPod(read.samples))));
}
