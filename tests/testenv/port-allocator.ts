// The one source of loopback listen ports for everything the harness starts (the box's
// components, the operator, the bridge, agents). Asking the kernel for a free port and releasing it
// before the daemon binds it lets two callers get the same port (two agents started a moment apart
// once did: EADDRINUSE), and ports from the ephemeral range also clash with outgoing connections.
// So ports come from below the kernel's ephemeral range, and each one handed out is recorded in
// `<cache>/ports.json` (under a lock) with its owner (a state dir) and name until the owner
// releases it, its owner's directory is gone, or the same owner and name ask again.
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cacheDir } from "./layout.js";
import { withLock } from "./lock.js";
import { isPortFree } from "./ports.js";

/** One reservation: who holds the port, and for what. */
interface Reservation {
  readonly owner: string;
  readonly name: string;
}

type Registry = Record<string, Reservation>;

/** Lowest port handed out; the highest is just below the ephemeral range. */
const FIRST_PORT = 20_000;

/** The first port of the kernel's ephemeral range (32768 when it cannot be read). */
export function ephemeralStart(): number {
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    return low && low > FIRST_PORT + 1_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/**
 * Picks `count` ports from [first, end) that are neither in `taken` nor refused by `isFree`,
 * starting at `start` and wrapping around. Pure but for `isFree`.
 */
export async function pickPorts(
  count: number,
  range: { readonly first: number; readonly end: number; readonly start: number },
  taken: ReadonlySet<number>,
  isFree: (port: number) => Promise<boolean>,
): Promise<number[]> {
  const size = range.end - range.first;
  const picked: number[] = [];
  for (let i = 0; i < size && picked.length < count; i++) {
    const port = range.first + ((range.start - range.first + i) % size);
    if (!taken.has(port) && (await isFree(port))) picked.push(port);
  }
  if (picked.length < count) {
    throw new Error(`no ${count} free loopback ports in ${range.first}-${range.end - 1}`);
  }
  return picked;
}

function files(cache: string): { registry: string; lock: string } {
  return { registry: join(cache, "ports.json"), lock: join(cache, "ports.lock") };
}

async function readRegistry(file: string): Promise<Registry> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as Registry;
  } catch {
    return {};
  }
}

async function writeRegistry(file: string, registry: Registry): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(registry, null, 1)}\n`);
  await rename(tmp, file);
}

/** Drops reservations whose owner directory is gone, and `drop`'s. */
function pruned(registry: Registry, drop: (r: Reservation) => boolean): Registry {
  return Object.fromEntries(
    Object.entries(registry).filter(([, r]) => existsSync(r.owner) && !drop(r)),
  );
}

async function update<T>(fn: (registry: Registry) => Promise<[Registry, T]>): Promise<T> {
  const cache = cacheDir();
  await mkdir(cache, { recursive: true });
  const { registry: file, lock } = files(cache);
  return withLock(lock, 60_000, async () => {
    const [next, result] = await fn(await readRegistry(file));
    await writeRegistry(file, next);
    return result;
  });
}

/**
 * Reserves `count` free loopback ports for `name` of `owner` (an existing directory, usually a
 * state dir), replacing what the same owner and name held before.
 */
export function allocatePorts(owner: string, name: string, count: number): Promise<number[]> {
  return update(async registry => {
    const kept = pruned(registry, r => r.owner === owner && r.name === name);
    const first = FIRST_PORT;
    const end = ephemeralStart();
    const start = first + Math.floor(Math.random() * (end - first));
    const taken = new Set(Object.keys(kept).map(Number));
    const ports = await pickPorts(count, { first, end, start }, taken, isPortFree);
    const next = { ...kept };
    for (const port of ports) next[String(port)] = { owner, name };
    return [next, ports];
  });
}

/** Releases every port `owner` holds (its box or world went down). */
export function releasePorts(owner: string): Promise<void> {
  return update(registry =>
    Promise.resolve<[Registry, undefined]>([pruned(registry, r => r.owner === owner), undefined]),
  );
}
