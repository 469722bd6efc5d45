import { parentPort } from "node:worker_threads";
import { recoverAddressBatch } from "@zerog/core";

// Input: n × (hash 32 ‖ r 32 ‖ s 32 ‖ recovery 1); output: n × (ok 1 ‖ address 20).
parentPort?.on("message", (buf: Uint8Array) => {
  const out = recoverAddressBatch(buf);
  parentPort!.postMessage(out, [out.buffer]);
});
