import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tryAcquirePidLock } from "@zerog/core";
import { ComputeError, ComputeErrorCode } from "../errors.js";

/** One broker per data directory: a LOCK file with the pid; returns its release. */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, "LOCK");
  const pid = tryAcquirePidLock(file);
  if (pid !== null)
    throw new ComputeError(
      { code: ComputeErrorCode.DATADIR_LOCKED, dataDir, pid },
      `data directory ${dataDir} is in use by process ${pid}; stop it or use another --data-dir`,
    );
  return () => rmSync(file, { force: true });
}
