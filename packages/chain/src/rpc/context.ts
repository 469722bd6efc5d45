import { type BlockTag, bytesToHex, RpcError } from "@zerog/core";
import type { Execution } from "../execution/execution.js";
import type { StateReader } from "../state/stateReader.js";
import type { StoredBlock } from "../store/chainStore.js";
import type { SignedTx } from "../tx/transaction.js";

/** What the RPC needs of a transaction pool. */
export interface RPCTxPool {
  get(hash: Uint8Array): SignedTx | undefined;
  pendingNonce(sender: Uint8Array): bigint;
  status(): { pending: number; queued: number };
  content(): { pending: Map<string, SignedTx[]>; queued: Map<string, SignedTx[]> };
  onAdded(listener: (tx: SignedTx) => void): () => void;
}

export interface ChainRPCOptions {
  /** Gas for calls that name none, and the most a call may use (geth RPCGasCap). */
  gasCap: bigint;
  /** Most blocks one eth_getLogs / filter query may span. */
  maxLogBlockRange: number;
  /** Most logs one query may return. */
  maxLogs: number;
  /** Most blocks eth_feeHistory reports. */
  maxFeeHistory: number;
  /** Filters not polled for this long are removed (ms). */
  filterTimeoutMs: number;
  clientVersion: string;
}

export const defaultChainRPCOptions: ChainRPCOptions = {
  gasCap: 50_000_000n,
  maxLogBlockRange: 10_000,
  maxLogs: 10_000,
  maxFeeHistory: 1024,
  filterTimeoutMs: 5 * 60_000,
  clientVersion: "zerog/v0.1.0",
};

export interface ChainRPCDeps {
  execution: Execution;
  pool: RPCTxPool;
  /** Decodes, validates and admits a raw transaction (and gossips it, on a network); returns its hash. */
  submitRawTx(raw: Uint8Array): Promise<Uint8Array>;
  peerCount(): number;
  /** Sync progress, or false when at the head. */
  syncing(): false | { startingBlock: bigint; currentBlock: bigint; highestBlock: bigint };
}

/** Shared helpers of the chain's RPC modules. */
export class RPCContext {
  readonly opts: ChainRPCOptions;
  readonly deps: ChainRPCDeps;

  constructor(opts: ChainRPCOptions, deps: ChainRPCDeps) {
    this.opts = opts;
    this.deps = deps;
  }

  get execution(): Execution {
    return this.deps.execution;
  }

  /** The block a tag or number names, or undefined when there is none (yet). */
  block(tag: bigint | BlockTag): StoredBlock | undefined {
    const head = this.execution.head;
    if (typeof tag === "bigint") return tag === head.header.number ? head : this.execution.store.blockByNumber(tag);
    // Instant finality: safe and finalized are the head; pending reads as the head for blocks.
    return tag === "earliest" ? this.execution.store.blockByNumber(0n) : head;
  }

  /** Like `block`, but an unknown block is an error (state queries need a block). */
  requireBlock(tag: bigint | BlockTag): StoredBlock {
    const b = this.block(tag);
    if (!b) throw RpcError.fromCode(-32000, "header not found");
    return b;
  }

  blockByHash(hash: string): StoredBlock | undefined {
    return this.execution.store.blockByHash(Buffer.from(hash.slice(2), "hex"));
  }

  /**
   * State at a block: the flat state when the block is the tip, the tries otherwise (older blocks,
   * and the head while a newer tip is still being written).
   */
  stateAt(block: StoredBlock): StateReader {
    const ex = this.execution;
    if (bytesToHex(block.hash) === bytesToHex(ex.tip.hash)) return ex.stateDB;
    if (!ex.stateDB.hasRoot(block.header.stateRoot))
      throw RpcError.fromCode(-32000, `missing trie node for state at block ${block.header.number}`);
    return ex.stateDB.at(block.header.stateRoot);
  }

  /** Resolves a block parameter that may be a number/tag or `{blockHash}` / `{blockNumber}` (EIP-1898). */
  blockOrHash(
    param: bigint | BlockTag | { blockHash?: string | undefined; blockNumber?: bigint | BlockTag | undefined } | undefined,
  ): StoredBlock {
    if (param === undefined) return this.requireBlock("latest");
    if (typeof param === "object") {
      if (param.blockHash) {
        const b = this.blockByHash(param.blockHash);
        if (!b) throw RpcError.fromCode(-32000, `header for hash ${param.blockHash} not found`);
        return b;
      }
      return this.requireBlock(param.blockNumber ?? "latest");
    }
    return this.requireBlock(param);
  }

  /** The transactions of a stored block, with senders. */
  blockTxs(b: StoredBlock): SignedTx[] {
    return b.txHashes.map((hash) => {
      const t = this.execution.store.tx(hash);
      if (!t) throw RpcError.fromCode(-32603, `transaction ${bytesToHex(hash)} of block ${b.header.number} is missing`);
      return t.tx;
    });
  }
}
