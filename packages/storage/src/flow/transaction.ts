import { bytesToHex, equalsBytes, type Hex, hexToBytes } from "@zerog/core";
import { nodesToRoot, type SubmissionNode } from "@zerog/core/merkle";
import { decodeEventLog, parseAbiItem } from "viem";
import { StorageError, StorageErrorCode } from "../errors.js";

/** The Flow contract's `Submit` event, byte-identical to 0G's (topic0 `0x167ce04d…5555`). */
export const submitEvent = parseAbiItem(
  "event Submit(address indexed sender, bytes32 indexed identity, uint256 submissionIndex, uint256 startPos, uint256 length, (uint256 length, bytes tags, (bytes32 root, uint256 height)[] nodes) submission)",
);
export const SUBMIT_TOPIC0: Hex = "0x167ce04d2aa1981994d3a31695da0d785373335b1078cec239a1a3a2c7675555";

/** One file in the flow, as 0G's node keeps it (`shared_types::Transaction`). */
export interface Transaction {
  seq: number;
  /** First flow sector of the file (`startPos` of the event). */
  startEntryIndex: number;
  /** File size in bytes. */
  size: number;
  /** Submission nodes as `(depth = height + 1, root)`. */
  merkleNodes: { depth: number; root: Uint8Array }[];
  /** The file root: right fold of the node roots. */
  dataMerkleRoot: Uint8Array;
  /** Where the Submit log was seen (for reorgs). */
  blockNumber: number;
  blockHash: Hex;
}

export interface RawLog {
  address: Hex;
  topics: Hex[];
  data: Hex;
  blockNumber: Hex;
  blockHash: Hex;
  logIndex: Hex;
  transactionHash?: Hex;
  removed?: boolean;
}

/** `submission_event_to_transaction`: throws `BAD_LOG` if the log is not a well-formed Submit. */
export function submitLogToTransaction(log: RawLog): Transaction {
  let args: { submissionIndex: bigint; startPos: bigint; submission: { length: bigint; nodes: readonly { root: Hex; height: bigint }[] } };
  try {
    const decoded = decodeEventLog({ abi: [submitEvent], data: log.data, topics: log.topics as [Hex, ...Hex[]] });
    args = decoded.args;
  } catch (e) {
    throw new StorageError({ code: StorageErrorCode.BAD_LOG, detail: (e as Error).message.split("\n")[0] ?? "" }, "malformed Submit log", {
      cause: e,
    });
  }
  const nodes: SubmissionNode[] = args.submission.nodes.map((n) => ({ root: hexToBytes(n.root), height: Number(n.height) }));
  if (nodes.length === 0) throw new StorageError({ code: StorageErrorCode.BAD_LOG, detail: "no nodes" }, "Submit log without nodes");
  return {
    seq: Number(args.submissionIndex),
    startEntryIndex: Number(args.startPos),
    size: Number(args.submission.length),
    merkleNodes: nodes.map((n) => ({ depth: n.height + 1, root: n.root })),
    dataMerkleRoot: nodesToRoot(nodes),
    blockNumber: Number(BigInt(log.blockNumber)),
    blockHash: log.blockHash.toLowerCase() as Hex,
  };
}

export function txSubmissionNodes(tx: Transaction): SubmissionNode[] {
  return tx.merkleNodes.map((n) => ({ root: n.root, height: n.depth - 1 }));
}

/** Flow sectors the file's nodes cover (its padded chunk count). */
export function txSectors(tx: Transaction): number {
  let n = 0;
  for (const node of tx.merkleNodes) n += 2 ** (node.depth - 1);
  return n;
}

export function sameRoot(tx: Transaction, root: Uint8Array): boolean {
  return equalsBytes(tx.dataMerkleRoot, root);
}

interface TransactionJSON {
  seq: number;
  startEntryIndex: number;
  size: number;
  merkleNodes: [number, Hex][];
  dataMerkleRoot: Hex;
  blockNumber: number;
  blockHash: Hex;
}

export function encodeTransaction(tx: Transaction): Uint8Array {
  const j: TransactionJSON = {
    seq: tx.seq,
    startEntryIndex: tx.startEntryIndex,
    size: tx.size,
    merkleNodes: tx.merkleNodes.map((n) => [n.depth, bytesToHex(n.root)]),
    dataMerkleRoot: bytesToHex(tx.dataMerkleRoot),
    blockNumber: tx.blockNumber,
    blockHash: tx.blockHash,
  };
  return new TextEncoder().encode(JSON.stringify(j));
}

export function decodeTransaction(bytes: Uint8Array): Transaction {
  const j = JSON.parse(new TextDecoder().decode(bytes)) as TransactionJSON;
  return {
    seq: j.seq,
    startEntryIndex: j.startEntryIndex,
    size: j.size,
    merkleNodes: j.merkleNodes.map(([depth, root]) => ({ depth, root: hexToBytes(root) })),
    dataMerkleRoot: hexToBytes(j.dataMerkleRoot),
    blockNumber: j.blockNumber,
    blockHash: j.blockHash,
  };
}

/** The JSON of `FileInfo.tx` (reference §3.2). */
export function transactionToJSON(tx: Transaction): Record<string, unknown> {
  return {
    streamIds: [],
    data: [],
    dataMerkleRoot: bytesToHex(tx.dataMerkleRoot),
    merkleNodes: tx.merkleNodes.map((n) => [n.depth, bytesToHex(n.root)]),
    startEntryIndex: tx.startEntryIndex,
    size: tx.size,
    seq: tx.seq,
  };
}
