// `scripts/demo` (and `npm run demo`): the project's demo, a cluster in a box with the module
// running and the seed's examples in action. Commands:
//   (none) | up        bring everything up, show the examples converge, switch the primary over,
//                      leave it running and say how to use it
//   watch              the live view (Ctrl-C to leave)
//   get                SWHs and their endpoints, once (kubectl get swh -A, plus endpoints)
//   switchover         fence the current primary, promote a replica, measure postgres-write
//   status             the box's and the world's processes
//   down [--purge]     stop everything; --purge also deletes the state dir
//   world-down --state-dir=DIR [--purge-box]
//                      stop the world of any box (jest's e2e teardown uses it)
// The demo's box lives in $SWH_DEMO_DIR or ~/.cache/swh-testenv/run/demo.
import { down, status } from "../testenv/index.js";
import { isOurProcess } from "./daemons.js";
import { demoStateDir, runDemo } from "./demo/run.js";
import { openRealExamples, realDemoSwitchover } from "./demo/real-demo.js";
import { liveView, stdoutScreen } from "./demo/live.js";
import { endpointsView, gatherViews, swhTable } from "./demo/view.js";
import { openWorld, worldDown } from "./world/world.js";
import { worldLayout } from "./layout.js";
import { readWorldState } from "./state.js";

const USAGE = `usage: scripts/demo [up|watch|get|switchover|status|down [--purge]]
  up (default)   the demo: box, module, examples, live view, primary switchover; leaves it running
  watch          the live view of SWHs and their endpoints (Ctrl-C to leave)
  get            SWHs and their endpoints, once
  switchover     switch the PostgreSQL primary over again and measure postgres-write
  status         processes of the box and of the module's world
  down           stop everything (--purge: also delete the state dir)
state dir: $SWH_DEMO_DIR or ~/.cache/swh-testenv/run/demo`;

class UsageError extends Error {}

function flag(args: readonly string[], name: string): string | undefined {
  const hit = args.find(a => a === `--${name}` || a.startsWith(`--${name}=`));
  if (hit === undefined) return undefined;
  return hit.includes("=") ? hit.slice(hit.indexOf("=") + 1) : "true";
}

async function cmdStatus(): Promise<number> {
  const stateDir = demoStateDir();
  const box = await status(stateDir);
  console.log(
    `box:      ${box.ready ? "ready" : "not running"} (${box.server ?? "-"}), state dir ${stateDir}`,
  );
  const layout = worldLayout(stateDir);
  const state = await readWorldState(layout.stateFile);
  if (!state) {
    console.log("world:    not running (scripts/demo up)");
    return box.ready ? 0 : 3;
  }
  const line = (what: string, pid: number | undefined, log: string): void =>
    console.log(
      `${what.padEnd(22)} ${pid !== undefined && isOurProcess(pid, layout.marker) ? `running (pid ${pid})` : "gone"}   ${log}`,
    );
  console.log("network:  real nodes (scripts/testenv status; the agents and workloads are pods)");
  line("addon-operator", state.operator?.pid, state.operator?.logFile ?? "");
  line("ModuleConfig bridge", state.bridge?.pid, state.bridge?.logFile ?? "");
  return 0;
}

async function cmdGet(): Promise<number> {
  const world = await openWorld(demoStateDir());
  const views = await gatherViews(world.rest);
  console.log([...swhTable(views, Date.now()), "", ...endpointsView(views)].join("\n"));
  world.rest.close();
  return 0;
}

async function cmdWatch(): Promise<number> {
  const world = await openWorld(demoStateDir());
  await liveView({
    rest: world.rest,
    screen: stdoutScreen,
    title: "ServiceWithHealthchecks (refreshed every second; Ctrl-C to leave)",
    footer: () => [],
    done: () => false,
    timeoutMs: Number.POSITIVE_INFINITY,
  });
  return 0;
}

async function cmdSwitchover(): Promise<number> {
  const world = await openWorld(demoStateDir());
  const lines = await realDemoSwitchover(world, stdoutScreen, await openRealExamples(world));
  console.log(lines.join("\n"));
  world.rest.close();
  return 0;
}

async function cmdDown(args: readonly string[], stateDir = demoStateDir()): Promise<number> {
  const world = await worldDown(stateDir);
  const box = await down({
    stateDir,
    purge: flag(args, "purge") !== undefined || flag(args, "purge-box") !== undefined,
  });
  const stopped = [
    ...world.stopped,
    ...Object.entries(box.stopped).map(([c, how]) => `${c} (${how})`),
  ];
  console.log(
    `demo down: ${stopped.length > 0 ? stopped.join(", ") : "nothing was running"}` +
      `${box.purged ? `; removed ${stateDir}` : ""}`,
  );
  return 0;
}

async function cmdWorldDown(args: readonly string[]): Promise<number> {
  const stateDir = flag(args, "state-dir");
  if (!stateDir || stateDir === "true") throw new UsageError("world-down needs --state-dir=DIR");
  if (flag(args, "purge-box") !== undefined) return cmdDown(args, stateDir);
  const result = await worldDown(stateDir);
  console.log(`world down: ${result.stopped.join(", ") || "nothing was running"}`);
  return 0;
}

async function main(args: readonly string[]): Promise<number> {
  switch (args[0]) {
    case undefined:
    case "up":
      await runDemo(stdoutScreen);
      return 0;
    case "watch":
      return cmdWatch();
    case "get":
      return cmdGet();
    case "switchover":
      return cmdSwitchover();
    case "status":
      return cmdStatus();
    case "down":
      return cmdDown(args);
    case "world-down":
      return cmdWorldDown(args);
    case "help":
    case "--help":
      console.log(USAGE);
      return 0;
    default:
      throw new UsageError(`unknown command ${args[0]}`);
  }
}

function describe(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 6; e = e.cause)
    parts.push(e.message);
  return parts.join("\n  caused by: ") || String(err);
}

main(process.argv.slice(2)).then(
  code => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`demo: ${err.message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(`demo: ${describe(err)}`);
    process.exit(1);
  },
);
