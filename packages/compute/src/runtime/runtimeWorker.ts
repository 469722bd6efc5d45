// One runtime thread (runtimePool.ts): loads the model from the weights bytes it is given, then generates the
// responses it is sent, one at a time, posting each piece as it is produced.
import { parentPort, workerData } from "node:worker_threads";
import { createModelFromBytes } from "./loadModel.js";
import type { IntModel } from "./model.js";
import type { RuntimeRequest } from "./request.js";
import { completionPieces, type ResponseMeta } from "./response.js";

const port = parentPort!;
let model: IntModel | undefined;
try {
  const { weights, sha256 } = workerData as { weights: Uint8Array; sha256: string };
  model = createModelFromBytes(weights, sha256);
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ ready: false, error: (e as Error).message });
}

let running = -1;
let cancelled = false;

port.on("message", (m: { cancel: number } | { id: number; req: RuntimeRequest; meta: ResponseMeta }) => {
  if ("cancel" in m) cancelled ||= m.cancel === running;
  else void run(m.id, m.req, m.meta);
});

async function run(id: number, req: RuntimeRequest, meta: ResponseMeta): Promise<void> {
  running = id;
  cancelled = false;
  try {
    for (const piece of completionPieces(model!, req, meta)) {
      if (cancelled) break;
      // An empty piece is a checkpoint: let a cancel message in.
      if (piece.length === 0) await new Promise((resolve) => setImmediate(resolve));
      else port.postMessage({ id, piece });
    }
    port.postMessage({ id, done: true });
  } catch (e) {
    port.postMessage({ id, error: (e as Error).message });
  } finally {
    running = -1;
  }
}
