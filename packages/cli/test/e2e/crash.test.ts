/**
 * Crash safety of a real `zg node`: under a steady load of transfers (5 senders × 300 pre-signed,
 * nonce-ordered transactions, sent in small batches while blocks are produced) the node is SIGKILLed
 * twice at different moments and restarted on the same datadir. Each time it must come back at or
 * above the highest block the client saw, with the same hash and state root for every block the client
 * saw and the identical receipt for every transaction the client got a receipt for; afterwards the load
 * completes, balances add up exactly, and the chain keeps producing blocks and accepting transactions.
 */
import { type Hex, keccak256, parseGwei } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { account, GENESIS_BALANCE } from "./helpers/accounts.js";
import { HeadWatcher } from "./helpers/heads.js";
import { startNode, type TestNode, useE2ECleanup } from "./helpers/node.js";
import { type RpcResponse, rpcBatch, until, waitForReceipt } from "./helpers/rpc.js";

useE2ECleanup();

const SENDERS = [1, 2, 3, 4, 5].map(account);
const TXS_PER_SENDER = 300;
const PER_SENDER_PER_ROUND = 6;
const MAX_OUTSTANDING = 150;
/** Receipts the client must hold before each kill. */
const KILL_AFTER = [350, 900];
const MAX_FEE = parseGwei("5");
const TIP = parseGwei("1");

interface Receipt {
  status: string;
  blockHash: string;
  blockNumber: string;
  gasUsed: string;
  transactionIndex: string;
  cumulativeGasUsed: string;
  effectiveGasPrice: string;
}

interface SentTx {
  sender: number;
  nonce: number;
  hash: Hex;
  raw: Hex;
}

/** Each sender pays its own recipient 1 wei per transaction, so the recipients' balances count what was applied. */
const recipientOf = (sender: number): Hex => `0x${"c0ffee".padEnd(38, "0")}${sender.toString(16).padStart(2, "0")}`;

let node: TestNode;
let txs: SentTx[][];

beforeAll(async () => {
  node = await startNode({ name: "crash node" });
  txs = await Promise.all(
    SENDERS.map(async (s, i) => {
      const signer = privateKeyToAccount(s.privateKey);
      const list: SentTx[] = [];
      for (let nonce = 0; nonce < TXS_PER_SENDER; nonce++) {
        const raw = await signer.signTransaction({
          type: "eip1559",
          chainId: 31337,
          nonce,
          to: recipientOf(i),
          value: 1n,
          gas: 21_000n,
          maxFeePerGas: MAX_FEE,
          maxPriorityFeePerGas: TIP,
        });
        list.push({ sender: i, nonce, hash: keccak256(raw), raw });
      }
      return list;
    }),
  );
});

afterAll(async () => {
  await node?.stop();
});

/** The client's view: what it sent and every receipt and block it was shown. */
class LoadClient {
  readonly receipts = new Map<Hex, Receipt>();
  readonly blocks = new Map<number, { hash: string; stateRoot: string }>();
  /** Per sender: the next nonce to send. */
  readonly next = SENDERS.map(() => 0);
  readonly outstanding = new Set<SentTx>();
  heads: HeadWatcher | null = null;

  get maxBlockSeen(): number {
    return Math.max(-1, ...this.blocks.keys());
  }

  done(): boolean {
    return this.receipts.size === SENDERS.length * TXS_PER_SENDER;
  }

  /** The next small batch: a few transactions of every sender, in nonce order. */
  nextBatch(): SentTx[] {
    const batch: SentTx[] = [];
    if (this.outstanding.size >= MAX_OUTSTANDING) return batch;
    for (let s = 0; s < SENDERS.length; s++) {
      for (let k = 0; k < PER_SENDER_PER_ROUND && this.next[s]! < TXS_PER_SENDER; k++) batch.push(txs[s]![this.next[s]!++]!);
    }
    return batch;
  }

  async send(batch: SentTx[]): Promise<void> {
    if (batch.length === 0) return;
    for (const t of batch) this.outstanding.add(t);
    const answers = await rpcBatch(
      node.url,
      batch.map((t) => ({ method: "eth_sendRawTransaction", params: [t.raw] })),
    );
    answers.forEach((a, i) => {
      if (a.error) throw new Error(`tx ${batch[i]!.sender}/${batch[i]!.nonce} refused: ${a.error.message}`);
      expect(a.result).toBe(batch[i]!.hash);
    });
  }

  /** Fetches receipts of outstanding transactions and the blocks they name. */
  async collect(): Promise<void> {
    const pending = [...this.outstanding];
    for (let i = 0; i < pending.length; i += 500) {
      const chunk = pending.slice(i, i + 500);
      const answers = await rpcBatch(
        node.url,
        chunk.map((t) => ({ method: "eth_getTransactionReceipt", params: [t.hash] })),
      );
      const newBlocks = new Set<number>();
      answers.forEach((a, j) => {
        const r = ok(a) as Receipt | null;
        if (!r) return;
        const t = chunk[j]!;
        this.receipts.set(t.hash, pick(r));
        this.outstanding.delete(t);
        if (!this.blocks.has(Number(r.blockNumber))) newBlocks.add(Number(r.blockNumber));
      });
      await this.fetchBlocks([...newBlocks]);
    }
    for (const h of this.heads?.heads ?? []) {
      const seen = this.blocks.get(h.number);
      if (seen) expect(seen).toEqual({ hash: h.hash, stateRoot: h.stateRoot });
      else this.blocks.set(h.number, { hash: h.hash, stateRoot: h.stateRoot });
    }
  }

  async fetchBlocks(numbers: number[]): Promise<void> {
    if (numbers.length === 0) return;
    const answers = await rpcBatch(
      node.url,
      numbers.map((n) => ({ method: "eth_getBlockByNumber", params: [`0x${n.toString(16)}`, false] })),
    );
    answers.forEach((a, i) => {
      const b = ok(a) as { hash: string; stateRoot: string };
      this.blocks.set(numbers[i]!, { hash: b.hash, stateRoot: b.stateRoot });
    });
  }

  /** After a restart: the pool is gone, so everything from each sender's chain nonce on is sent again. */
  async resync(): Promise<void> {
    const nonces = await rpcBatch(
      node.url,
      SENDERS.map((s) => ({ method: "eth_getTransactionCount", params: [s.address, "latest"] })),
    );
    nonces.forEach((a, s) => {
      const n = Number(ok(a));
      // Every receipted transaction is below its sender's nonce.
      for (const t of txs[s]!) if (this.receipts.has(t.hash)) expect(t.nonce).toBeLessThan(n);
      this.next[s] = n;
      for (const t of [...this.outstanding]) if (t.sender === s && t.nonce >= n) this.outstanding.delete(t);
    });
  }

  /** Everything the client was shown is still what the node says. */
  async verify(): Promise<void> {
    const height = Number(ok((await rpcBatch(node.url, [{ method: "eth_blockNumber" }]))[0]!));
    expect(height).toBeGreaterThanOrEqual(this.maxBlockSeen);
    const numbers = [...this.blocks.keys()];
    for (let i = 0; i < numbers.length; i += 500) {
      const chunk = numbers.slice(i, i + 500);
      const answers = await rpcBatch(
        node.url,
        chunk.map((n) => ({ method: "eth_getBlockByNumber", params: [`0x${n.toString(16)}`, false] })),
      );
      answers.forEach((a, j) => {
        const b = ok(a) as { hash: string; stateRoot: string } | null;
        expect(b, `block ${chunk[j]} the client saw is missing`).not.toBeNull();
        expect({ hash: b!.hash, stateRoot: b!.stateRoot }, `block ${chunk[j]}`).toEqual(this.blocks.get(chunk[j]!));
      });
    }
    const hashes = [...this.receipts.keys()];
    for (let i = 0; i < hashes.length; i += 500) {
      const chunk = hashes.slice(i, i + 500);
      const answers = await rpcBatch(
        node.url,
        chunk.map((h) => ({ method: "eth_getTransactionReceipt", params: [h] })),
      );
      answers.forEach((a, j) => {
        const r = ok(a) as Receipt | null;
        expect(r, `receipt of ${chunk[j]} the client got is missing`).not.toBeNull();
        expect(pick(r!), `receipt of ${chunk[j]}`).toEqual(this.receipts.get(chunk[j]!));
      });
    }
  }
}

function ok(a: RpcResponse): unknown {
  if (a.error) throw new Error(`rpc error ${a.error.code}: ${a.error.message}`);
  return a.result;
}

function pick(r: Receipt): Receipt {
  const { status, blockHash, blockNumber, gasUsed, transactionIndex, cumulativeGasUsed, effectiveGasPrice } = r;
  return { status, blockHash, blockNumber, gasUsed, transactionIndex, cumulativeGasUsed, effectiveGasPrice };
}

describe("crash safety", () => {
  it("loses nothing a client was shown across two SIGKILLs under load", async () => {
    const client = new LoadClient();
    client.heads = await HeadWatcher.open(node.wsUrl);
    const kills: { receipts: number; seenHeight: number; outstanding: number; heightAfterRestart?: number }[] = [];
    try {
      while (!client.done()) {
        const batch = client.nextBatch();
        const killNow = kills.length < KILL_AFTER.length && client.receipts.size >= KILL_AFTER[kills.length]!;
        if (killNow && kills.length === 0) {
          // First kill: the moment the node has taken the batch into a block (the pool empties when the block
          // is committed in memory), i.e. while that block is being written to disk or just after.
          await client.send(batch);
          await until(
            "the pool to hand the batch to a block",
            async () => ((await node.call<{ pending: string }>("txpool_status")).pending === "0x0" ? true : undefined),
            15_000,
            0,
          );
          await node.kill("SIGKILL");
        } else if (killNow) {
          // Second kill: while a batch of transactions is being admitted.
          for (const t of batch) client.outstanding.add(t);
          const inflight = rpcBatch(
            node.url,
            batch.map((t) => ({ method: "eth_sendRawTransaction", params: [t.raw] })),
          ).catch(() => null);
          await new Promise((r) => setImmediate(r));
          await node.kill("SIGKILL");
          await inflight;
        } else {
          await client.send(batch);
        }
        if (killNow) {
          const kill: (typeof kills)[number] = {
            receipts: client.receipts.size,
            seenHeight: client.maxBlockSeen,
            outstanding: client.outstanding.size,
          };
          kills.push(kill);
          await client.heads.close();
          await node.restart();
          kill.heightAfterRestart = Number(await node.call<string>("eth_blockNumber"));
          await client.verify();
          await client.resync();
          client.heads = await HeadWatcher.open(node.wsUrl);
          continue;
        }
        // The next block is the event worth polling receipts for.
        await client.heads.waitAbove(Math.max(client.heads.latest, client.maxBlockSeen));
        await client.collect();
      }
      expect(kills).toHaveLength(2);
      for (const k of kills) {
        expect(k.receipts).toBeGreaterThanOrEqual(300);
        expect(k.receipts).toBeLessThan(SENDERS.length * TXS_PER_SENDER);
      }
      await client.verify();

      // Every transaction applied exactly once: nonces, recipients' balances, senders' balances.
      const calls = SENDERS.flatMap((s, i) => [
        { method: "eth_getTransactionCount", params: [s.address, "latest"] },
        { method: "eth_getBalance", params: [recipientOf(i), "latest"] },
        { method: "eth_getBalance", params: [s.address, "latest"] },
      ]);
      const answers = (await rpcBatch(node.url, calls)).map((a) => BigInt(ok(a) as string));
      SENDERS.forEach((_, i) => {
        const spent = txs[i]!.reduce((sum, t) => {
          const r = client.receipts.get(t.hash)!;
          expect(r.status).toBe("0x1");
          return sum + BigInt(r.gasUsed) * BigInt(r.effectiveGasPrice) + 1n;
        }, 0n);
        expect(answers[i * 3]).toBe(BigInt(TXS_PER_SENDER));
        expect(answers[i * 3 + 1]).toBe(BigInt(TXS_PER_SENDER));
        expect(answers[i * 3 + 2]).toBe(GENESIS_BALANCE - spent);
      });

      // The chain goes on: new blocks, new transactions.
      const before = client.heads.latest;
      const extra = await privateKeyToAccount(account(6).privateKey).signTransaction({
        type: "eip1559",
        chainId: 31337,
        nonce: 0,
        to: recipientOf(9),
        value: 5n,
        gas: 21_000n,
        maxFeePerGas: MAX_FEE,
        maxPriorityFeePerGas: TIP,
      });
      const hash = await node.call<Hex>("eth_sendRawTransaction", [extra]);
      const receipt = await waitForReceipt(node.url, hash);
      expect(receipt.status).toBe("0x1");
      expect(Number(receipt.blockNumber)).toBeGreaterThan(client.maxBlockSeen);
      await client.heads.waitAbove(Math.max(before, Number(receipt.blockNumber)));
      console.log(`crash test: kills at ${JSON.stringify(kills)}; final height ${client.heads.latest}`);
    } finally {
      await client.heads?.close();
    }
  });
});
