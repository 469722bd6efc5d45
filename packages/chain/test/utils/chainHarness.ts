import { bytesToHex, createSilentLogger, hexToBytes, JsonRpcServer, MemoryStore, privateKeyToAddressBytes } from "@zerog/core";
import type { TxCandidates } from "../../src/execution/engine.js";
import { Execution } from "../../src/execution/execution.js";
import { parseGenesis } from "../../src/execution/genesis.js";
import { registerChainRPC } from "../../src/rpc/chainRpc.js";
import type { RPCTxPool } from "../../src/rpc/context.js";
import { chainErrorMapper } from "../../src/rpc/errors.js";
import { decodeTx, type SignedTx, signTx, type UnsignedTx } from "../../src/tx/transaction.js";

export const CHAIN_ID = 31337n;

/** A signed type-2 transaction (a 1-neuron transfer unless `fields` say otherwise) on the test chain. */
export function signedTransfer(key: Uint8Array, fields: Partial<UnsignedTx> & { nonce: bigint }): SignedTx {
  const tx: UnsignedTx = {
    type: 2,
    chainId: CHAIN_ID,
    maxPriorityFeePerGas: 1n,
    maxFeePerGas: 10n ** 10n,
    gasLimit: 21_000n,
    to: new Uint8Array(20).fill(1),
    value: 1n,
    data: new Uint8Array(0),
    accessList: [],
    ...fields,
  } as UnsignedTx;
  return signTx(tx, key);
}
/** Deterministic funded keys: 0x…01, 0x…02, … */
export const KEYS = Array.from({ length: 5 }, (_, i) => hexToBytes(`0x${(i + 1).toString(16).padStart(64, "0")}`));
export const ADDRESSES = KEYS.map((k) => privateKeyToAddressBytes(k));

/** A pool that only remembers what was submitted, for RPC tests that build blocks by hand. */
export class ListPool implements RPCTxPool {
  readonly txs = new Map<string, SignedTx>();
  private readonly listeners = new Set<(tx: SignedTx) => void>();
  get(hash: Uint8Array) {
    return this.txs.get(bytesToHex(hash));
  }
  pendingNonce(): bigint {
    return 0n;
  }
  status() {
    return { pending: this.txs.size, queued: 0 };
  }
  content() {
    return { pending: new Map<string, SignedTx[]>(), queued: new Map<string, SignedTx[]>() };
  }
  onAdded(l: (tx: SignedTx) => void) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  add(tx: SignedTx) {
    this.txs.set(bytesToHex(tx.hash), tx);
    for (const l of this.listeners) l(tx);
  }
  take(): SignedTx[] {
    const all = [...this.txs.values()];
    this.txs.clear();
    return all;
  }
}

export interface ChainHarness {
  execution: Execution;
  server: JsonRpcServer;
  pool: ListPool;
  url: string;
  /** Builds and commits a block from the given transactions (default: everything submitted). */
  mine(txs?: SignedTx[]): Promise<bigint>;
  sign(keyIndex: number, tx: Partial<UnsignedTx>): SignedTx;
  nonces: bigint[];
  close(): Promise<void>;
}

/** An in-memory chain with the full chain RPC on 127.0.0.1 (random port). */
export async function startChainHarness(): Promise<ChainHarness> {
  const logger = createSilentLogger();
  const alloc = Object.fromEntries(ADDRESSES.map((a) => [bytesToHex(a), { balance: "1000000000000000000000000" }]));
  const genesis = parseGenesis({ chainId: Number(CHAIN_ID), timestamp: 1_700_000_000, alloc });
  const execution = new Execution({}, { db: new MemoryStore(), genesis, logger, metrics: null });
  await execution.init();
  const pool = new ListPool();
  const server = new JsonRpcServer({ port: 0 }, { logger, metrics: null, errorMapper: chainErrorMapper });
  const dispose = registerChainRPC(
    server,
    {},
    {
      execution,
      pool,
      submitRawTx: async (raw) => {
        const tx = decodeTx(raw);
        pool.add(tx);
        return tx.hash;
      },
      peerCount: () => 0,
      syncing: () => false,
    },
  );
  await server.start();
  const nonces = KEYS.map(() => 0n);
  let clock = 1_700_000_001n;
  const harness: ChainHarness = {
    execution,
    server,
    pool,
    url: server.url,
    nonces,
    sign(i, fields) {
      const tx: UnsignedTx = {
        type: 2,
        chainId: CHAIN_ID,
        nonce: nonces[i]!++,
        maxPriorityFeePerGas: 10n ** 9n,
        maxFeePerGas: 10n ** 11n,
        gasLimit: 1_000_000n,
        to: null,
        value: 0n,
        data: new Uint8Array(0),
        accessList: [],
        ...fields,
      };
      return signTx(tx, KEYS[i]!);
    },
    async mine(txs) {
      const list = txs ?? pool.take();
      let k = 0;
      const candidates: TxCandidates = { peek: () => list[k], shift: () => void k++, pop: () => void k++ };
      const height = execution.head.header.number + 1n;
      const { block } = await execution.prepareProposal({
        height,
        timestamp: clock++,
        proposer: new Uint8Array(20).fill(0xcb),
        candidates,
      });
      await execution.finalizeBlock(block);
      await execution.commit();
      return height;
    },
    async close() {
      dispose();
      await server.stop();
    },
  };
  return harness;
}
