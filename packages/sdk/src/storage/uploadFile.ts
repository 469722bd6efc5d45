import { FileHasher, type FileMerkleTree, numSegments, type SubmissionNode } from "@zerog/core/merkle";
import { type Account, type Address, type Chain, type Client, getAddress, type Hex, type Transport, toHex } from "viem";
import { DEFAULT_FLOW_ADDRESS, type SubmitABI } from "./abi.js";
import { createBytesSource, readExactly } from "./dataSource.js";
import { StorageClientError, StorageClientErrorCode } from "./errors.js";
import { type StorageNodeClient, toClients } from "./nodeClient.js";
import { pollNodes } from "./poll.js";
import type { RetryOptions } from "./retry.js";
import { checkShardCoverage, type PlacedNode, segmentHolders, startSegmentOf } from "./shards.js";
import { submitFile } from "./submitFile.js";
import type { DataSource, FileInfo, ShardConfig } from "./types.js";
import { uploadSegments } from "./uploadSegments.js";

export type UploadPhase = "hashing" | "submitting" | "syncing" | "uploading" | "finalizing" | "done";

export interface UploadProgress {
  phase: UploadPhase;
  /** Hashing: bytes hashed. Uploading: bytes of segments that every node holding them has accepted. */
  bytesDone: number;
  bytesTotal: number;
  segmentsDone: number;
  segmentsTotal: number;
}

export interface UploadFileParameters {
  /** The file: a `DataSource` (`createBlobSource`, `openFileSource` from `@zerog/sdk/node`) or bytes. */
  data: DataSource | Uint8Array;
  /** Storage nodes (URLs or clients) that together cover every shard; each gets the segments of its shard. */
  nodes: readonly (string | StorageNodeClient)[];
  /** Flow contract; default: the one the first node follows (`zgs_getStatus`), else zerog's genesis Flow. */
  flowAddress?: Address;
  /** Which `submit` ABI to call: "new" (Submission{data, submitter}, default) or "old" (@0glabs ≤ 0.3.3). */
  abi?: SubmitABI;
  account?: Account | Address;
  tags?: Hex;
  /** Overrides the fee read from the market. */
  fee?: bigint;
  /** Upload requests in flight at once (default 4: 8 peaked at ~250 MiB RSS for a 1 GiB file, 4 at ~200 MiB, same speed). */
  concurrency?: number;
  /** Segments per `zgs_uploadSegmentsByTxSeq` call (default 4, 1 MiB). */
  batchSize?: number;
  retry?: RetryOptions;
  /** Between polls of the nodes (default 250 ms). */
  pollIntervalMs?: number;
  /** For the nodes to see the tx, and then to finalize (default 10 min each). */
  timeoutMs?: number;
  onProgress?: (p: UploadProgress) => void;
  signal?: AbortSignal;
}

export interface UploadFileReturnType {
  root: Hex;
  txSeq: number;
  /** Null when the nodes already held the file finalized and no transaction was sent. */
  txHash: Hex | null;
  size: number;
}

const HASH_READ_SIZE = 4 << 20;

/**
 * Stores a file: computes its root while streaming, submits it to Flow with the fee, waits until every node has seen
 * the submission, uploads each node the segments of its shard with proofs (bounded concurrency, retries), and waits
 * until every node has finalized it.
 */
export async function uploadFile(
  client: Client<Transport, Chain | undefined, Account | undefined>,
  params: UploadFileParameters,
): Promise<UploadFileReturnType> {
  const { source, nodes, account } = checkParams(client, params);
  const { signal } = params;
  const size = source.size;
  const segmentsTotal = numSegments(size);
  const progress = (phase: UploadPhase, bytesDone: number, segmentsDone: number) =>
    params.onProgress?.({ phase, bytesDone, bytesTotal: size, segmentsDone, segmentsTotal });
  const poll = { intervalMs: params.pollIntervalMs ?? 250, timeoutMs: params.timeoutMs ?? 600_000, signal };

  const shards = await Promise.all(nodes.map((n) => n.getShardConfig({ signal })));
  checkShardCoverage(nodes.map((n, k) => ({ client: n, shard: shards[k]! })));

  const hashed = await hashSource(source, (done) => progress("hashing", done, 0), signal);
  const root = toHex(hashed.root);

  progress("submitting", 0, 0);
  const { txSeq, txHash } = await submitUnlessStored(client, params, { nodes, account, root, size, submissionNodes: hashed.nodes });

  progress("syncing", 0, 0);
  const seen = (i: FileInfo | null) => i !== null;
  const infos = await pollNodes(nodes, (n) => n.getFileInfoByTxSeq(txSeq, { signal }), seen, {
    ...poll,
    waitingFor: `the Submit log of tx ${txSeq}`,
  });
  const placed = nodes.map((n, k) => placeNode(n, shards[k]!, infos[k]!, { root, size, txSeq }));

  await uploadSegments({
    source,
    tree: hashed.tree,
    root,
    txSeq,
    holders: segmentHolders(placed, segmentsTotal),
    batchSize: params.batchSize ?? 4,
    concurrency: params.concurrency ?? 4,
    retry: params.retry,
    signal,
    onSegmentsDone: (segmentsDone, bytesDone) => progress("uploading", bytesDone, segmentsDone),
  });

  progress("finalizing", size, segmentsTotal);
  const finalized = (i: FileInfo | null) => i?.finalized === true;
  await pollNodes(nodes, (n) => n.getFileInfoByTxSeq(txSeq, { signal }), finalized, {
    ...poll,
    waitingFor: `finalization of tx ${txSeq}`,
  });
  progress("done", size, segmentsTotal);
  return { root, txSeq, txHash, size };
}

function checkParams(
  client: Client<Transport, Chain | undefined, Account | undefined>,
  params: UploadFileParameters,
): { source: DataSource; nodes: StorageNodeClient[]; account: Account | Address } {
  const source = params.data instanceof Uint8Array ? createBytesSource(params.data) : params.data;
  const nodes = toClients(params.nodes);
  if (!Number.isSafeInteger(source.size) || source.size <= 0) {
    const msg = `cannot store a file of ${source.size} bytes; give a non-empty file`;
    throw new StorageClientError({ code: StorageClientErrorCode.BAD_INPUT, param: "data" }, msg);
  }
  const account = params.account ?? client.account;
  if (!account) {
    const msg = "uploadFile needs an account to pay for the submission: pass `account` or use a client with one";
    throw new StorageClientError({ code: StorageClientErrorCode.BAD_INPUT, param: "account" }, msg);
  }
  return { source, nodes, account };
}

/** Reuses a tx the nodes already finalized for this root and size (0G 1.x `skipIfFinalized`), else submits one. */
async function submitUnlessStored(
  client: Client<Transport, Chain | undefined, Account | undefined>,
  params: UploadFileParameters,
  f: { nodes: StorageNodeClient[]; account: Account | Address; root: Hex; size: number; submissionNodes: SubmissionNode[] },
): Promise<{ txSeq: number; txHash: Hex | null }> {
  const { signal } = params;
  const known = await Promise.all(f.nodes.map((n) => n.getFileInfo(f.root, false, { signal })));
  const stored = known.find((i): i is FileInfo => i?.finalized === true && i.tx.size === f.size);
  if (stored) return { txSeq: stored.tx.seq, txHash: null };
  const flowAddress = params.flowAddress ?? (await flowAddressOf(f.nodes[0]!, client.chain?.id, signal));
  const sent = await submitFile(client, {
    flowAddress,
    account: f.account,
    size: f.size,
    nodes: f.submissionNodes,
    abi: params.abi ?? "new",
    tags: params.tags,
    fee: params.fee,
    pollingInterval: params.pollIntervalMs,
  });
  return { txSeq: sent.txSeq, txHash: sent.txHash };
}

/** Where the node put the file in the flow; refuses a node whose tx `txSeq` is another file. */
function placeNode(
  client: StorageNodeClient,
  shard: ShardConfig,
  info: FileInfo,
  want: { root: Hex; size: number; txSeq: number },
): PlacedNode & { finalized: boolean } {
  if (info.tx.dataMerkleRoot.toLowerCase() !== want.root || info.tx.size !== want.size) {
    throw new StorageClientError(
      { code: StorageClientErrorCode.UPLOAD_FAILED, url: client.url, segments: [] },
      `storage node ${client.url} says tx ${want.txSeq} is file ${info.tx.dataMerkleRoot} of ${info.tx.size} bytes, ` +
        `not ${want.root} of ${want.size}; does it follow the same chain and Flow contract?`,
    );
  }
  return { client, shard, txSeq: want.txSeq, startSegment: startSegmentOf(info.tx.startEntryIndex), finalized: info.finalized };
}

/** The file root and submission nodes, streaming the source through `FileHasher` (memory: one read buffer). */
export async function hashSource(
  source: DataSource,
  onBytes?: (done: number) => void,
  signal?: AbortSignal,
): Promise<{ root: Uint8Array; tree: FileMerkleTree; nodes: SubmissionNode[] }> {
  const hasher = new FileHasher(source.size);
  for (let offset = 0; offset < source.size; offset += HASH_READ_SIZE) {
    signal?.throwIfAborted();
    hasher.update(await readExactly(source, offset, Math.min(HASH_READ_SIZE, source.size - offset)));
    onBytes?.(Math.min(source.size, offset + HASH_READ_SIZE));
  }
  const { root, tree, nodes } = hasher.digest();
  return { root, tree, nodes };
}

async function flowAddressOf(node: StorageNodeClient, chainId: number | undefined, signal: AbortSignal | undefined): Promise<Address> {
  const { networkIdentity: id } = await node.getStatus({ signal });
  if (chainId !== undefined && typeof id.chainId === "number" && id.chainId !== chainId) {
    throw new StorageClientError(
      { code: StorageClientErrorCode.BAD_INPUT, param: "nodes" },
      `storage node ${node.url} follows chain ${id.chainId} but the client is connected to chain ${chainId}; point both at the same network`,
    );
  }
  // A node that has not read the Flow address from the chain yet reports the zero address.
  return id.flowAddress && !/^0x0{40}$/.test(id.flowAddress) ? getAddress(id.flowAddress) : DEFAULT_FLOW_ADDRESS;
}
