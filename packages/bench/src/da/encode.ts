import { availableParallelism } from "node:os";
import { DATA_BYTES_PER_ROW, EncoderPool, encodeBlob, loadKZG } from "@zerog/da";

/**
 * DA encoding rate: blobs of 1 MiB and 16 MiB through an `EncoderPool` with one thread per core, against the same
 * blobs encoded on one thread (`encodeBlob`) in the same run. Each row is a c-kzg commitment plus 128 cells and proofs.
 */
export async function benchDAEncode(): Promise<void> {
  const cores = availableParallelism();
  console.log(`\nDA encoding (c-kzg 4, rows of ${DATA_BYTES_PER_ROW} bytes, 128 cells + proofs each); ${cores} cores`);
  const t0 = performance.now();
  loadKZG();
  console.log(`  trusted setup load (precompute 8): ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  const pool = new EncoderPool({ workers: cores });
  await pool.start();
  const rows: string[] = [];
  try {
    for (const mib of [1, 16]) {
      const size = mib * 1024 * 1024;
      const data = new Uint8Array(size).map((_, i) => (i * 2654435761) >>> 24);
      let t = performance.now();
      const one = encodeBlob(data);
      const oneMs = performance.now() - t;
      t = performance.now();
      const many = await pool.encode(data);
      const poolMs = performance.now() - t;
      if (Buffer.compare(one.dataRoot, many.dataRoot) !== 0) throw new Error("pool and inline data roots differ");
      const mbps = (ms: number) => (size / 1048576 / (ms / 1000)).toFixed(2);
      rows.push(
        `| ${mib} MiB (${many.rows.length} rows) | ${mbps(poolMs)} MB/s (${(poolMs / 1000).toFixed(2)} s) | ${mbps(oneMs)} MB/s (${(oneMs / 1000).toFixed(2)} s) | **${(oneMs / poolMs).toFixed(2)}×** |`,
      );
    }
  } finally {
    await pool.stop();
  }
  console.log(`\n| blob | ${cores} encoder threads | one thread | speed-up |\n|---|---:|---:|---:|`);
  for (const r of rows) console.log(r);
}
