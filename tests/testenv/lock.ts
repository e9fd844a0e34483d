// An inter-process lock on one state dir, so two `up`s (say, jest's global setup and a developer
// typing `scripts/testenv up`) never start two boxes over the same data dir. The lock file holds
// the owner's pid; a lock whose owner is dead is taken over. (Two processes that find the same
// stale lock at the same instant could both take it; that needs a crash plus a race, and the
// worst outcome is a failed `up` with a clear port or data-dir error.)
import { open, readFile, rm } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function tryTake(file: string): Promise<boolean> {
  try {
    const handle = await open(file, "wx");
    await handle.writeFile(String(process.pid));
    await handle.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
      throw new Error(`taking lock ${file} failed`, { cause: err });
    }
    return false;
  }
}

async function ownerIsDead(file: string): Promise<boolean> {
  const owner = Number.parseInt(await readFile(file, "utf8").catch(() => ""), 10);
  return Number.isInteger(owner) && owner > 0 && owner !== process.pid && !alive(owner);
}

/** Runs `fn` holding the lock file; waits up to `timeoutMs` for another holder. */
export async function withLock<T>(
  file: string,
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (!(await tryTake(file))) {
    if (await ownerIsDead(file)) {
      await rm(file, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      throw new Error(`state dir is locked by another testenv process (${file})`);
    }
    await sleep(200);
  }
  try {
    return await fn();
  } finally {
    await rm(file, { force: true });
  }
}
