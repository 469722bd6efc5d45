import { join } from "node:path";
import { bytesToHex } from "@zerog/core";
import {
  type Chain,
  createPublicClient,
  createWalletClient,
  decodeEventLog,
  defineChain,
  type Hex,
  http,
  parseAbi,
  parseAbiItem,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { account } from "../../../cli/test/e2e/helpers/accounts.js";
import { freePort, makeTempDir, spawnZg, type TrackedProcess } from "../../../cli/test/e2e/helpers/processes.js";
import { rpc, rpcResponse, until } from "../../../cli/test/e2e/helpers/rpc.js";
import { type SegmentWithProofJSON, segmentToJSON } from "../../src/flow/segment.js";
import type { TestFile } from "../fixtures.js";

export const FLOW: Hex = "0x0000000000000000000000000000000000005000";
const MARKET: Hex = "0x0000000000000000000000000000000000005001";

const flowSubmitOld = parseAbi([
  "function submit((uint256 length, bytes tags, (bytes32 root, uint256 height)[] nodes) submission) payable returns (uint256, bytes32, uint256, uint256)",
]);
const marketAbi = parseAbi(["function pricePerSector() view returns (uint256)"]);
const submitEvent = parseAbiItem(
  "event Submit(address indexed sender, bytes32 indexed identity, uint256 submissionIndex, uint256 startPos, uint256 length, (uint256 length, bytes tags, (bytes32 root, uint256 height)[] nodes) submission)",
);

/** A `zg storage node` process on 127.0.0.1. */
export class StorageProc {
  readonly dir: string;
  readonly port: number;
  readonly name: string;
  private readonly args: string[];
  private proc: TrackedProcess | null = null;

  constructor(p: { name: string; dir: string; port: number; args: string[] }) {
    this.name = p.name;
    this.dir = p.dir;
    this.port = p.port;
    this.args = p.args;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = ["storage", "node", "--datadir", join(this.dir, "data"), "--rpc.port", String(this.port), ...this.args];
    const proc = spawnZg(this.name, args, { logFile: join(this.dir, "storage.log") });
    this.proc = proc;
    const m = await proc.waitForOutput(/"msg":"storage node started"|^error: .*$/m, 60_000);
    if (m[0].startsWith("error: ")) throw new Error(`${this.name} failed to start: ${m[0]}`);
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    await this.proc?.kill(signal);
  }

  call<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    return rpc<T>(this.url, method, params);
  }

  response(method: string, params: unknown[] = []) {
    return rpcResponse(this.url, method, params);
  }
}

export async function startStorageNode(
  chainUrl: string,
  opts: { name?: string; shard?: string; peers?: string[] } = {},
): Promise<StorageProc> {
  const args = ["--chain-rpc", chainUrl, "--log-level", "info"];
  if (opts.shard) args.push("--shard", opts.shard);
  if (opts.peers?.length) args.push("--peers", opts.peers.join(","));
  const node = new StorageProc({ name: opts.name ?? "storage node", dir: makeTempDir("zg-storage-"), port: await freePort(), args });
  await node.start();
  return node;
}

export function devChain(chainId: number, url: string): Chain {
  return defineChain({
    id: chainId,
    name: "zerog",
    nativeCurrency: { name: "ZG", symbol: "ZG", decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
}

/** Submits `file` to Flow with the old ABI (0G TS SDK 0.3.3's) and returns its submission index. */
export async function submitToFlow(chainUrl: string, chainId: number, file: TestFile, signer = 0): Promise<number> {
  const chain = devChain(chainId, chainUrl);
  const pub = createPublicClient({ chain, transport: http(chainUrl) });
  const wallet = createWalletClient({ chain, transport: http(chainUrl), account: privateKeyToAccount(account(signer).privateKey) });
  const price = await pub.readContract({ address: MARKET, abi: marketAbi, functionName: "pricePerSector" });
  const nodes = file.digest.nodes.map((n) => ({ root: bytesToHex(n.root), height: BigInt(n.height) }));
  const sectors = file.digest.nodes.reduce((s, n) => s + 2n ** BigInt(n.height), 0n);
  const hash = await wallet.writeContract({
    address: FLOW,
    abi: flowSubmitOld,
    functionName: "submit",
    args: [{ length: BigInt(file.data.length), tags: "0x", nodes }],
    value: sectors * price,
  });
  const receipt = await pub.waitForTransactionReceipt({ hash, pollingInterval: 100 });
  if (receipt.status !== "success") throw new Error(`submit reverted: ${hash}`);
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== FLOW) continue;
    const ev = decodeEventLog({ abi: [submitEvent], data: log.data, topics: log.topics });
    return Number(ev.args.submissionIndex);
  }
  throw new Error("no Submit log in the receipt");
}

export function segmentsJSON(file: TestFile): SegmentWithProofJSON[] {
  return file.segments.map(segmentToJSON);
}

interface FileInfo {
  tx: { seq: number; size: number; dataMerkleRoot: string; startEntryIndex: number };
  finalized: boolean;
  uploadedSegNum: number;
}

export function waitForTx(node: StorageProc, seq: number, timeoutMs = 30_000): Promise<FileInfo> {
  return until(
    `tx ${seq} on ${node.name}`,
    async () => (await node.call<FileInfo | null>("zgs_getFileInfoByTxSeq", [seq])) ?? undefined,
    timeoutMs,
    100,
  );
}

export function waitFinalized(node: StorageProc, seq: number, timeoutMs = 30_000): Promise<FileInfo> {
  return until(
    `tx ${seq} finalized on ${node.name}`,
    async () => {
      const info = await node.call<FileInfo | null>("zgs_getFileInfoByTxSeq", [seq]);
      return info?.finalized ? info : undefined;
    },
    timeoutMs,
    100,
  );
}
