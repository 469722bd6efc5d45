// One phase of the storage benchmark in its own process, so its peak RSS is the client's alone. Prints one JSON line.
//   node client.js root-zerog FILE | root-0g FILE | upload FILE RPC KEY NODES | download ROOT OUT NODES
import { createRequire } from "node:module";
import { FileHasher } from "@zerog/core/merkle";
import { downloadFile, uploadFile } from "@zerog/sdk";
import { createFileSink, openFileSource } from "@zerog/sdk/node";
import { createWalletClient, type Hex, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";

const [phase, ...args] = process.argv.slice(2);
const READ = 4 << 20;

function report(o: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ...o, maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
}

async function rootZerog(path: string): Promise<void> {
  const src = await openFileSource(path);
  const t = performance.now();
  const h = new FileHasher(src.size);
  for (let off = 0; off < src.size; off += READ) h.update(await src.read(off, READ));
  const root = h.digest().root;
  report({ ms: performance.now() - t, root: Buffer.from(root).toString("hex") });
  await src.close();
}

async function root0G(path: string): Promise<void> {
  const require = createRequire(import.meta.url);
  const { ZgFile } = require("@0glabs/0g-ts-sdk") as typeof import("@0glabs/0g-ts-sdk");
  const t = performance.now();
  const file = await ZgFile.fromFilePath(path);
  const [tree, err] = await file.merkleTree();
  if (err || !tree) throw err ?? new Error("no tree");
  report({ ms: performance.now() - t, root: tree.rootHash()?.slice(2) });
  await file.close();
}

async function upload(path: string, rpc: string, key: string, nodes: string): Promise<void> {
  const client = createWalletClient({ account: privateKeyToAccount(key as Hex), transport: http(rpc) });
  const src = await openFileSource(path);
  const marks: Record<string, number> = {};
  const t = performance.now();
  const r = await uploadFile(client, {
    data: src,
    nodes: nodes.split(","),
    onProgress: (p) => {
      marks[p.phase] ??= performance.now() - t;
    },
  });
  const total = performance.now() - t;
  report({ root: r.root, txSeq: r.txSeq, totalMs: total, submitToFinalMs: total - (marks.submitting ?? 0), marks });
  await src.close();
}

async function download(root: string, out: string, nodes: string): Promise<void> {
  const sink = await createFileSink(out);
  const t = performance.now();
  await downloadFile({ root: root as Hex, nodes: nodes.split(","), sink });
  const fetched = performance.now() - t;
  await sink.close(); // fsync + rename: the download is durable when it returns
  report({ ms: performance.now() - t, fetchedMs: fetched });
}

if (phase === "root-zerog") await rootZerog(args[0]!);
else if (phase === "root-0g") await root0G(args[0]!);
else if (phase === "upload") await upload(args[0]!, args[1]!, args[2]!, args[3]!);
else if (phase === "download") await download(args[0]!, args[1]!, args[2]!);
else throw new Error(`unknown phase ${phase}`);
