import { FileHasher, type FileMerkleTree, numSegments, type SubmissionNode } from "@zerog/core/merkle";
import { type Account, type Address, type Chain, type Client, getAddress, type Hex, type Transport, toHex } from "viem";
import { DEFAULT_FLOW_ADDRESS, type SubmitABI } from "./abi.js";
import { createBytesSource, readExactly } from "./dataSource.js";
import { StorageClientError, StorageClientErrorCode } from "./errors.js";
import { StorageNodeClient } from "./nodeClient.js";
import { pollNodes } from "./poll.js";
import type { RetryOptions } from "./retry.js";
import { checkShardCoverage, type PlacedNode, segmentHolders, startSegmentOf } from "./shards.js";
import { submitFile } from "./submitFile.js";
import type { DataSource, FileInfo } from "./types.js";
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
  /** Upload requests in flight at once (default 8). */
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
  const source = params.data instanceof Uint8Array ? createBytesSource(params.data) : params.data;
  const nodes = toClients(params.nodes);
  const { signal } = params;
  const size = source.size;
  if (!Number.isSafeInteger(size) || size <= 0) {
    throw new StorageClientError(
      { code: StorageClientErrorCode.BAD_INPUT, param: "data" },
      `cannot store a file of ${size} bytes; give a non-empty file`,
    );
  }
  const account = params.account ?? client.account;
  if (!account)
    throw new StorageClientError(
      { code: StorageClientErrorCode.BAD_INPUT, param: "account" },
      "uploadFile needs an account to pay for the submission: pass `account` or use a client with one",
    );
  const segmentsTotal = numSegments(size);
  const progress = (phase: UploadPhase, bytesDone: number, segmentsDone: number) =>
    params.onProgress?.({ phase, bytesDone, bytesTotal: size, segmentsDone, segmentsTotal });
  const poll = { intervalMs: params.pollIntervalMs ?? 250, timeoutMs: params.timeoutMs ?? 600_000, signal };

  const shards = await Promise.all(nodes.map((client) => client.getShardConfig({ signal })));
  checkShardCoverage(nodes.map((client, k) => ({ client, shard: shards[k]! })));

  const { root, tree, nodes: submissionNodes } = await hashSource(source, (done) => progress("hashing", done, 0), signal);
  const rootHex = toHex(root);

  progress("submitting", 0, 0);
  const known = await Promise.all(nodes.map((n) => n.getFileInfo(rootHex, false, { signal })));
  const stored = known.find((i): i is FileInfo => i?.finalized === true && i.tx.size === size);
  let txSeq: number;
  let txHash: Hex | null = null;
  if (stored) txSeq = stored.tx.seq;
  else {
    const flowAddress = params.flowAddress ?? (await flowAddressOf(nodes[0]!, client.chain?.id, signal));
    const sent = await submitFile(client, {
      flowAddress,
      account,
      size,
      nodes: submissionNodes,
      abi: params.abi ?? "new",
      tags: params.tags,
      fee: params.fee,
    });
    txSeq = sent.txSeq;
    txHash = sent.txHash;
  }

  progress("syncing", 0, 0);
  const infos = await pollNodes(
    nodes,
    (n) => n.getFileInfoByTxSeq(txSeq, { signal }),
    (i) => i !== null,
    {
      ...poll,
      waitingFor: `the Submit log of tx ${txSeq}`,
    },
  );
  const placed = nodes.map((client, k): PlacedNode & { finalized: boolean } => {
    const info = infos[k]!;
    if (info.tx.dataMerkleRoot.toLowerCase() !== rootHex || info.tx.size !== size) {
      throw new StorageClientError(
        { code: StorageClientErrorCode.UPLOAD_FAILED, url: client.url, segments: [] },
        `storage node ${client.url} says tx ${txSeq} is file ${info.tx.dataMerkleRoot} of ${info.tx.size} bytes, not ${rootHex} of ${size}; ` +
          "does it follow the same chain and Flow contract?",
      );
    }
    return { client, shard: shards[k]!, txSeq, startSegment: startSegmentOf(info.tx.startEntryIndex), finalized: info.finalized };
  });
  const holders = segmentHolders(placed, segmentsTotal);

  await uploadSegments({
    source,
    tree,
    root: rootHex,
    txSeq,
    holders,
    batchSize: params.batchSize ?? 4,
    concurrency: params.concurrency ?? 8,
    retry: params.retry,
    signal,
    onSegmentsDone: (segmentsDone, bytesDone) => progress("uploading", bytesDone, segmentsDone),
  });

  progress("finalizing", size, segmentsTotal);
  await pollNodes(
    nodes,
    (n) => n.getFileInfoByTxSeq(txSeq, { signal }),
    (i) => i?.finalized === true,
    {
      ...poll,
      waitingFor: `finalization of tx ${txSeq}`,
    },
  );
  progress("done", size, segmentsTotal);
  return { root: rootHex, txSeq, txHash, size };
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

export function toClients(nodes: readonly (string | StorageNodeClient)[]): StorageNodeClient[] {
  if (nodes.length === 0) {
    throw new StorageClientError(
      { code: StorageClientErrorCode.BAD_INPUT, param: "nodes" },
      "no storage nodes given; pass at least one storage node URL",
    );
  }
  return nodes.map((n) => (typeof n === "string" ? new StorageNodeClient(n) : n));
}

async function flowAddressOf(node: StorageNodeClient, chainId: number | undefined, signal: AbortSignal | undefined): Promise<Address> {
  const { networkIdentity: id } = await node.getStatus({ signal });
  if (chainId !== undefined && typeof id.chainId === "number" && id.chainId !== chainId) {
    throw new StorageClientError(
      { code: StorageClientErrorCode.BAD_INPUT, param: "nodes" },
      `storage node ${node.url} follows chain ${id.chainId} but the client is connected to chain ${chainId}; point both at the same network`,
    );
  }
  return id.flowAddress ? getAddress(id.flowAddress) : DEFAULT_FLOW_ADDRESS;
}
