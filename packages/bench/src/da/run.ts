import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hexToBytes } from "@zerog/core";
import { DisperserClient, RpcDAChain, retrieveBlob, SignerClient, sampleBlob } from "@zerog/da";
import { startDevnet, stopDevnet } from "../devnetProcess.js";
import { benchDAEncode } from "./encode.js";

const MiB = 1024 * 1024;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

/**
 * 0G DA end to end on a devnet (one validator, four signers, the disperser, on this machine's cores): confirmation
 * latency of 1 MiB blobs one at a time and when 20 are queued at once (throughput), sampling latency for 30 cells,
 * retrieval with half of the signers down. Encoding alone first (`benchDAEncode`).
 */
export async function benchDA(): Promise<void> {
  await benchDAEncode();
  const dir = mkdtempSync(join(tmpdir(), "zg-bench-da-"));
  const devnet = await startDevnet(join(dir, "zerog"), ["--storage.nodes", "0", "--compute.providers", "0"]);
  try {
    const disperser = new DisperserClient(devnet.nodes.find((n) => n.role === "da-disperser")!.rpc);
    const blob = (seed: number) => new Uint8Array(MiB).map((_, i) => (i * 2654435761 + seed * 97) >>> 24);
    const confirmed = async (id: string) => {
      for (;;) {
        const s = await disperser.getBlobStatus(id);
        if (s.status === "CONFIRMED" || s.status === "FINALIZED") return s;
        if (s.status === "FAILED") throw new Error(`blob ${id} failed: ${s.error}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    console.log("\nDA on a devnet: 1 validator, 4 signers (32 of 128 slots each), the disperser; 1 MiB blobs");
    const light: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await confirmed((await disperser.disperseBlob(blob(i))).requestId);
      light.push(performance.now() - t);
    }
    const n = 20;
    const t0 = performance.now();
    const submitted = await Promise.all(
      Array.from({ length: n }, async (_, i) => ({ id: (await disperser.disperseBlob(blob(100 + i))).requestId, at: performance.now() })),
    );
    // One poller (every 50 ms, oldest first, stopping at the first still in progress: blobs confirm in order) rather
    // than one per blob, which would load the disperser with status requests.
    const done: { id: string; at: number; status: Awaited<ReturnType<typeof confirmed>>; end: number }[] = [];
    while (done.length < n) {
      for (const s of submitted.slice(done.length)) {
        const st = await disperser.getBlobStatus(s.id);
        if (st.status === "FAILED") throw new Error(`blob ${s.id} failed: ${st.error}`);
        if (st.status !== "CONFIRMED" && st.status !== "FINALIZED") break;
        done.push({ ...s, status: st, end: performance.now() });
      }
      if (done.length < n) await new Promise((r) => setTimeout(r, 50));
    }
    const queued = done.map((d) => d.end - d.at);
    const seconds = (Math.max(...done.map((d) => d.end)) - t0) / 1000;

    const chain = await RpcDAChain.connect({ rpcUrl: devnet.rpc });
    const info = done[0]!.status.info!;
    const ref = { dataRoot: hexToBytes(info.dataRoot), epoch: info.epoch, quorumId: info.quorumId };
    const quorum = (await chain.quorum(ref.epoch, ref.quorumId))!;
    const signers = await chain.signers([...new Set(quorum)]);
    const clients = new Map(signers.map((s) => [s.address, new SignerClient(s.url)]));
    await sampleBlob({ ref, quorum, signers: clients, samples: 5 }); // warm: trusted setup, connections
    const sampling: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const r = await sampleBlob({ ref, quorum, signers: clients, samples: 30 });
      if (!r.passed) throw new Error("sampling failed on a healthy devnet");
      sampling.push(performance.now() - t);
    }

    // Half of the signers down: the other two hold exactly 64 columns, so every row is recovered.
    for (const s of devnet.nodes.filter((x) => x.role === "da-signer").slice(0, 2)) process.kill(s.pid, "SIGKILL");
    const alive = signers.filter((s) => devnet.nodes.some((x) => x.role === "da-signer" && x.rpc === s.url && x.pid && isAlive(x.pid)));
    const t1 = performance.now();
    const k = 4;
    for (const d of done.slice(0, k)) {
      const i = d.status.info!;
      const r = await retrieveBlob({
        ref: { dataRoot: hexToBytes(i.dataRoot), epoch: i.epoch, quorumId: i.quorumId },
        signers: alive.map((s) => new SignerClient(s.url)),
      });
      if (r.data.length !== MiB || r.recoveredRows === 0) throw new Error("retrieval did not recover the blob from two signers");
    }
    const retrieveSeconds = (performance.now() - t1) / 1000;

    console.log("\n| DA, 1 MiB blobs | measured | target |\n|---|---:|---|");
    console.log(
      `| confirmation, one blob at a time (5) | p50 ${(pct(light, 50) / 1000).toFixed(2)} s, max ${(Math.max(...light) / 1000).toFixed(2)} s | p50 < 3 s |`,
    );
    console.log(
      `| ${n} blobs queued at once: submit → CONFIRMED | p50 ${(pct(queued, 50) / 1000).toFixed(2)} s, p99 ${(pct(queued, 99) / 1000).toFixed(2)} s; **${(n / seconds).toFixed(2)} MB/s** confirmed | ≥ 2 MB/s |`,
    );
    console.log(
      `| sampling 30 cells (5 runs) | p50 ${pct(sampling, 50).toFixed(0)} ms, max ${Math.max(...sampling).toFixed(0)} ms | < 200 ms |`,
    );
    console.log(`| retrieval with 2 of 4 signers down (${k} blobs, every row recovered) | ${(k / retrieveSeconds).toFixed(2)} MB/s | |`);
  } finally {
    await stopDevnet(devnet.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
