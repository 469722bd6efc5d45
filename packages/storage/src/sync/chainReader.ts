import { type Address, type Hex, JsonRpcClient } from "@zerog/core";
import type { RawLog } from "../flow/transaction.js";

export interface BlockRef {
  number: number;
  hash: Hex;
  parentHash: Hex;
}

/** What the storage node needs from the chain; the chain is reached over JSON-RPC only. */
export interface ChainReader {
  chainId(): Promise<number>;
  blockNumber(): Promise<number>;
  block(n: number): Promise<BlockRef | null>;
  logs(p: { fromBlock: number; toBlock: number; address: Address; topic0: Hex }): Promise<RawLog[]>;
  systemContracts(): Promise<Record<string, Address>>;
}

const hex = (n: number): Hex => `0x${n.toString(16)}`;

/** `ChainReader` over the chain's Ethereum JSON-RPC (`eth_*`, `zg_systemContracts`). */
export class RpcChainReader implements ChainReader {
  private readonly client: JsonRpcClient;

  constructor(opts: { url: string; timeoutMs?: number }) {
    this.client = new JsonRpcClient({ url: opts.url, timeoutMs: opts.timeoutMs ?? 30_000 });
  }

  async chainId(): Promise<number> {
    return Number(await this.client.request<Hex>("eth_chainId"));
  }

  async blockNumber(): Promise<number> {
    return Number(await this.client.request<Hex>("eth_blockNumber"));
  }

  async block(n: number): Promise<BlockRef | null> {
    const b = await this.client.request<{ number: Hex; hash: Hex; parentHash: Hex } | null>("eth_getBlockByNumber", [hex(n), false]);
    return b ? { number: Number(b.number), hash: b.hash.toLowerCase() as Hex, parentHash: b.parentHash.toLowerCase() as Hex } : null;
  }

  logs(p: { fromBlock: number; toBlock: number; address: Address; topic0: Hex }): Promise<RawLog[]> {
    return this.client.request<RawLog[]>("eth_getLogs", [
      { fromBlock: hex(p.fromBlock), toBlock: hex(p.toBlock), address: p.address, topics: [p.topic0] },
    ]);
  }

  systemContracts(): Promise<Record<string, Address>> {
    return this.client.request<Record<string, Address>>("zg_systemContracts");
  }
}
