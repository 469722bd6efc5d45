import { parentPort } from "node:worker_threads";
import { recoverAddressBytes } from "@zerog/core";

// Input: n × (hash 32 ‖ r 32 ‖ s 32 ‖ recovery 1); output: n × (ok 1 ‖ address 20).
const ITEM = 97;

parentPort?.on("message", (buf: Uint8Array) => {
  const n = buf.length / ITEM;
  const out = new Uint8Array(n * 21);
  for (let i = 0; i < n; i++) {
    const o = i * ITEM;
    try {
      out.set(recoverAddressBytes(buf.subarray(o, o + 32), buf.subarray(o + 32, o + 96), buf[o + 96]!), i * 21 + 1);
      out[i * 21] = 1;
    } catch {
      out[i * 21] = 0;
    }
  }
  parentPort!.postMessage(out, [out.buffer]);
});
