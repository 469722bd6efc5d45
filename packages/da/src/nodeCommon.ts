import { lockDataDir as lockDir } from "@zerog/core";
import { DaError, DaErrorCode } from "./errors.js";

/** One DA node per data directory: a LOCK file with the pid; returns its release. */
export function lockDataDir(dataDir: string): () => void {
  return lockDir(
    dataDir,
    (pid) =>
      new DaError(
        { code: DaErrorCode.DATADIR_LOCKED, dataDir, pid },
        `data directory ${dataDir} is in use by process ${pid}; stop it or use another --data-dir`,
      ),
  );
}
