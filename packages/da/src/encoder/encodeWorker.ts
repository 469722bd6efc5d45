// One encoder thread: loads the trusted setup once, then commits and extends the rows it is sent (pool.ts).
import { parentPort, workerData } from "node:worker_threads";
import { encodeRow } from "./encodeBlob.js";
import { loadKZG } from "./kzg.js";
import { BYTES_PER_CELL, BYTES_PER_PROOF, CELLS_PER_ROW } from "./params.js";

const port = parentPort!;
try {
  loadKZG((workerData as { precompute: number }).precompute);
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ ready: false, error: (e as Error).message });
}

port.on("message", ({ id, row }: { id: number; row: Uint8Array }) => {
  try {
    const r = encodeRow(row);
    const cells = new Uint8Array(CELLS_PER_ROW * BYTES_PER_CELL);
    const proofs = new Uint8Array(CELLS_PER_ROW * BYTES_PER_PROOF);
    for (const [k, c] of r.cells.entries()) cells.set(c, k * BYTES_PER_CELL);
    for (const [k, p] of r.proofs.entries()) proofs.set(p, k * BYTES_PER_PROOF);
    port.postMessage({ id, commitment: r.commitment, cells, proofs }, [cells.buffer, proofs.buffer]);
  } catch (e) {
    port.postMessage({ id, error: (e as Error).message });
  }
});
