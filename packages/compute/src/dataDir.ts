import { lockDataDir as lockDir } from "@zerog/core";
import { ComputeError, ComputeErrorCode } from "./errors.js";

/** One broker or verifier per data directory: a LOCK file with the pid; returns its release. */
export function lockDataDir(dataDir: string): () => void {
  return lockDir(
    dataDir,
    (pid) =>
      new ComputeError(
        { code: ComputeErrorCode.DATADIR_LOCKED, dataDir, pid },
        `data directory ${dataDir} is in use by process ${pid}; stop it or use another --data-dir`,
      ),
  );
}
