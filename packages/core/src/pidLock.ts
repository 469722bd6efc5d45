import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Takes `file` as a lock holding this process's pid (one node per data directory: a second one on the same files
 * would corrupt them). A lock left by a process that is gone is taken over. Returns null when the lock is ours, or
 * the pid of the live process that holds it.
 */
export function tryAcquirePidLock(file: string): number | null {
  try {
    const fd = openSync(file, "wx");
    writeFileSync(fd, String(process.pid));
    closeSync(fd);
    return null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  const pid = Number(readFileSync(file, "utf8").trim());
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) return pid;
  writeFileSync(file, String(process.pid));
  return null;
}

/**
 * Takes `<dataDir>/LOCK` for this process, creating the directory, and returns what releases it; when a live process
 * holds it, throws `locked(pid)` (each domain names its own error).
 */
export function lockDataDir(dataDir: string, locked: (pid: number) => Error): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, "LOCK");
  const pid = tryAcquirePidLock(file);
  if (pid !== null) throw locked(pid);
  return () => rmSync(file, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
