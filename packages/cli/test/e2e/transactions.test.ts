/**
 * Raw transaction admission on a real `zg node` (eth_sendRawTransaction): a pre-EIP-155 signed
 * deployment (v = 27/28, no chain id) is accepted and mined, its replay is refused ("already known",
 * then "nonce too low"), a transaction signed for another chain is refused naming the chain id, and each
 * invalid transaction gets its own -32000 error with geth's wording, after which the node keeps serving.
 */
import { contracts } from "@zerog/contracts";
import {
  concatHex,
  type Hex,
  hexToBigInt,
  keccak256,
  numberToHex,
  parseGwei,
  parseTransaction,
  serializeTransaction,
  type TransactionSerializableEIP1559,
  type TransactionSerializableLegacy,
  toRlp,
} from "viem";
import { privateKeyToAccount, sign as signHash } from "viem/accounts";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { account, CHAIN_ID } from "./helpers/accounts.js";
import { startNode, type TestNode, useE2ECleanup } from "./helpers/node.js";
import { type RpcErrorObject, rpcBatch, rpcError, waitForReceipt } from "./helpers/rpc.js";

useE2ECleanup();

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const SECP256K1_P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;
const DEAD = "0x000000000000000000000000000000000000dEaD";

let node: TestNode;

beforeAll(async () => {
  node = await startNode({ name: "tx node" });
});

afterEach(async () => {
  // Whatever a test threw at it, the node still answers and is alive.
  expect(node.alive).toBe(true);
  expect(await node.call<string>("eth_blockNumber")).toMatch(/^0x[0-9a-f]+$/);
});

afterAll(async () => {
  await node?.stop();
});

function transfer(nonce: number, fields: Partial<TransactionSerializableEIP1559> = {}): TransactionSerializableEIP1559 {
  return {
    type: "eip1559",
    chainId: CHAIN_ID,
    nonce,
    to: DEAD,
    value: 1n,
    gas: 21_000n,
    maxFeePerGas: parseGwei("10"),
    maxPriorityFeePerGas: parseGwei("1"),
    ...fields,
  };
}

function sign(key: Hex, tx: TransactionSerializableEIP1559 | TransactionSerializableLegacy): Promise<Hex> {
  return privateKeyToAccount(key).signTransaction(tx);
}

/** Signs a type-2 transaction without viem's sanity checks (which refuse a tip above the fee cap). */
async function signUnchecked(key: Hex, tx: TransactionSerializableEIP1559): Promise<Hex> {
  const q = (n: bigint | number | undefined): Hex => (n === undefined || BigInt(n) === 0n ? "0x" : numberToHex(n));
  const fields: Hex[] = [
    q(tx.chainId),
    q(tx.nonce),
    q(tx.maxPriorityFeePerGas),
    q(tx.maxFeePerGas),
    q(tx.gas),
    tx.to ?? "0x",
    q(tx.value),
    tx.data ?? "0x",
  ];
  const unsigned = concatHex(["0x02", toRlp([...fields, []])]);
  const sig = await signHash({ hash: keccak256(unsigned), privateKey: key });
  const trim = (h: Hex): Hex => q(hexToBigInt(h));
  return concatHex(["0x02", toRlp([...fields, [], q(sig.yParity), trim(sig.r), trim(sig.s)])]);
}

async function send(raw: Hex): Promise<Hex> {
  return node.call<Hex>("eth_sendRawTransaction", [raw]);
}

async function refusal(raw: Hex): Promise<RpcErrorObject> {
  return rpcError(node.url, "eth_sendRawTransaction", [raw]);
}

async function nonceOf(address: string): Promise<number> {
  return Number(await node.call<string>("eth_getTransactionCount", [address, "latest"]));
}

/** Re-encodes a signed type-2 transaction with another signature. */
function withSignature(raw: Hex, sig: { r: Hex; s: Hex; yParity: number }): Hex {
  const {
    r: _r,
    s: _s,
    v: _v,
    yParity: _y,
    ...fields
  } = parseTransaction(raw) as TransactionSerializableEIP1559 & {
    r: Hex;
    s: Hex;
    v?: bigint;
    yParity: number;
  };
  return serializeTransaction({ ...fields, type: "eip1559" }, sig);
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

/** No curve point has x = r when r³ + 7 is not a square mod p (Euler's criterion): recovery must fail. */
function isCurveX(x: bigint): boolean {
  return modPow((x ** 3n + 7n) % SECP256K1_P, (SECP256K1_P - 1n) / 2n, SECP256K1_P) === 1n;
}

describe("raw transactions", () => {
  it("accepts and mines a pre-EIP-155 deployment; replays are refused while pending and once mined", async () => {
    const deployer = account(7);
    const raw = await sign(deployer.privateKey, {
      type: "legacy",
      nonce: 0,
      gasPrice: parseGwei("10"),
      gas: 1_500_000n,
      data: contracts.TestEvents.bytecode,
    });
    const parsed = parseTransaction(raw);
    expect(parsed.chainId).toBeUndefined();
    expect([27n, 28n]).toContain(parsed.v);

    // Both in one batch, which the node handles in order: the second arrives while the first is pending.
    const [first, second] = await rpcBatch(node.url, [
      { method: "eth_sendRawTransaction", params: [raw] },
      { method: "eth_sendRawTransaction", params: [raw] },
    ]);
    expect(first!.result).toBe(keccak256(raw));
    expect(second!.error).toEqual({ code: -32000, message: "already known" });

    const receipt = await waitForReceipt(node.url, keccak256(raw));
    expect(receipt.status).toBe("0x1");
    expect(receipt.contractAddress).toMatch(/^0x[0-9a-f]{40}$/);
    const code = await node.call<string>("eth_getCode", [receipt.contractAddress, "latest"]);
    expect(code).toBe(contracts.TestEvents.deployedBytecode);
    const tx = await node.call<Record<string, string>>("eth_getTransactionByHash", [keccak256(raw)]);
    expect(["0x1b", "0x1c"]).toContain(tx.v);
    expect(tx.chainId).toBeUndefined();
    expect(tx.from?.toLowerCase()).toBe(deployer.address.toLowerCase());

    const replay = await refusal(raw);
    expect(replay.code).toBe(-32000);
    expect(replay.message).toMatch(/^nonce too low: next nonce 1, tx nonce 0/);
  });

  it("refuses a transaction signed for chain id 1, naming the chain ids", async () => {
    const a = account(8);
    for (const raw of [
      await sign(a.privateKey, transfer(0, { chainId: 1 })),
      await sign(a.privateKey, { type: "legacy", chainId: 1, nonce: 0, to: DEAD, gas: 21_000n, gasPrice: parseGwei("10") }),
    ]) {
      const err = await refusal(raw);
      expect(err.code).toBe(-32000);
      expect(err.message).toBe(`invalid chain id for signer: have 1 want ${CHAIN_ID}`);
    }
    expect(await nonceOf(a.address)).toBe(0);
  });

  it("refuses nonce too low, insufficient funds, intrinsic gas too low, fee cap below base fee and gas above the block limit", async () => {
    const a = account(9);
    const hash = await send(await sign(a.privateKey, transfer(0)));
    await waitForReceipt(node.url, hash);

    const low = await refusal(await sign(a.privateKey, transfer(0, { value: 2n })));
    expect(low).toEqual({ code: -32000, message: "nonce too low: next nonce 1, tx nonce 0" });

    const pauper = `0x${"11".repeat(32)}` as Hex;
    const poor = await refusal(await sign(pauper, transfer(0)));
    expect(poor.code).toBe(-32000);
    const cost = 21_000n * parseGwei("10") + 1n;
    expect(poor.message).toBe(`insufficient funds for gas * price + value: balance 0, tx cost ${cost}, overshot ${cost}`);

    const intrinsic = await refusal(await sign(a.privateKey, transfer(1, { gas: 20_999n })));
    expect(intrinsic).toEqual({ code: -32000, message: "intrinsic gas too low: gas 20999, minimum needed 21000" });

    const baseFee = hexToBigInt((await node.call<{ baseFeePerGas: Hex }>("eth_getBlockByNumber", ["latest", false])).baseFeePerGas);
    const cheap = await refusal(await sign(a.privateKey, transfer(1, { maxFeePerGas: baseFee - 1n, maxPriorityFeePerGas: 1n })));
    expect(cheap.code).toBe(-32000);
    expect(cheap.message).toMatch(new RegExp(`^max fee per gas less than block base fee: maxFeePerGas ${baseFee - 1n}, baseFee \\d+$`));

    const gasLimit = hexToBigInt((await node.call<{ gasLimit: Hex }>("eth_getBlockByNumber", ["latest", false])).gasLimit);
    const huge = await refusal(await sign(a.privateKey, transfer(1, { gas: gasLimit + 1n })));
    expect(huge).toEqual({ code: -32000, message: `exceeds block gas limit: gas ${gasLimit + 1n}, block gas limit ${gasLimit}` });

    const tipAboveCap = await refusal(
      await signUnchecked(a.privateKey, transfer(1, { maxFeePerGas: parseGwei("2"), maxPriorityFeePerGas: parseGwei("3") })),
    );
    expect(tipAboveCap.code).toBe(-32000);
    expect(tipAboveCap.message).toMatch(/^max priority fee per gas higher than max fee per gas/);

    expect(await nonceOf(a.address)).toBe(1);
  });

  it("refuses invalid signatures: high s, r = 0, r that is no curve point", async () => {
    const a = account(6);
    const raw = await sign(a.privateKey, transfer(0));
    const tx = parseTransaction(raw);
    const r = hexToBigInt(tx.r!);
    const s = hexToBigInt(tx.s!);

    // (r, n - s) with the other parity is the same signer's malleable twin (EIP-2 forbids it).
    const highS = await refusal(withSignature(raw, { r: tx.r!, s: numberToHex(SECP256K1_N - s, { size: 32 }), yParity: 1 - tx.yParity! }));
    expect(highS).toEqual({
      code: -32000,
      message: "invalid transaction signature: s value is in the upper half of the curve order (EIP-2)",
    });

    const zeroR = await refusal(withSignature(raw, { r: "0x0", s: tx.s!, yParity: tx.yParity! }));
    expect(zeroR).toEqual({ code: -32000, message: "invalid transaction signature: r or s out of range" });

    const rTooBig = await refusal(withSignature(raw, { r: numberToHex(SECP256K1_N, { size: 32 }), s: tx.s!, yParity: tx.yParity! }));
    expect(rTooBig).toEqual({ code: -32000, message: "invalid transaction signature: r or s out of range" });

    let badR = r;
    while (isCurveX(badR)) badR = (badR + 1n) % SECP256K1_N;
    const offCurve = await refusal(withSignature(raw, { r: numberToHex(badR, { size: 32 }), s: tx.s!, yParity: tx.yParity! }));
    expect(offCurve).toEqual({ code: -32000, message: "invalid transaction signature: signature does not recover to a public key" });

    // The untouched original is fine.
    await waitForReceipt(node.url, await send(raw));
  });

  it("refuses an oversized transaction, undecodable bytes and unknown types", async () => {
    const a = account(5);
    const LIMIT = 128 * 1024;
    const oversized = async (size: number): Promise<Hex> => {
      let dataLength = size - 200;
      for (;;) {
        const raw = await sign(a.privateKey, transfer(0, { gas: 5_000_000n, data: `0x${"00".repeat(dataLength)}` }));
        const length = (raw.length - 2) / 2;
        if (length === size) return raw;
        dataLength += size - length;
      }
    };
    const justOver = await refusal(await oversized(LIMIT + 1));
    expect(justOver).toEqual({ code: -32000, message: `oversized data: transaction size ${LIMIT + 1}, limit ${LIMIT}` });

    const undecodable = await refusal("0xdeadbeef");
    expect(undecodable.code).toBe(-32000);
    expect(undecodable.message).toMatch(/^transaction could not be decoded: /);

    const truncated = await sign(a.privateKey, transfer(0));
    const cut = await refusal(truncated.slice(0, -10) as Hex);
    expect(cut.code).toBe(-32000);
    expect(cut.message).toMatch(/^transaction could not be decoded: /);

    const unknownType = await refusal("0x05c0");
    expect(unknownType).toEqual({ code: -32000, message: "transaction type not supported: 5" });

    const empty = await refusal("0x");
    expect(empty).toEqual({ code: -32000, message: "transaction could not be decoded: empty transaction" });

    expect(await nonceOf(a.address)).toBe(0);
  });

  // Regression: any oversized transaction gets the decoder's -32000 "oversized data", as in geth.
  it("refuses a transaction of 200 KiB with geth's -32000 oversized data error", async () => {
    const a = account(5);
    const raw = await sign(a.privateKey, transfer(0, { gas: 5_000_000n, data: `0x${"00".repeat(200 * 1024)}` }));
    const err = await refusal(raw);
    expect(err.code).toBe(-32000);
    expect(err.message).toBe(`oversized data: transaction size ${(raw.length - 2) / 2}, limit ${128 * 1024}`);
  });

  it("refuses an underpriced replacement and accepts one with both fees 10% higher", async () => {
    const a = account(4);
    // Nonce 1 waits (queued) for nonce 0, so the pool holds it for as long as the test needs.
    const original = await sign(a.privateKey, transfer(1, { maxFeePerGas: parseGwei("10"), maxPriorityFeePerGas: parseGwei("2") }));
    expect(await send(original)).toBe(keccak256(original));

    for (const fees of [
      { maxFeePerGas: parseGwei("10"), maxPriorityFeePerGas: parseGwei("2") }, // same price, other value
      { maxFeePerGas: parseGwei("10.5"), maxPriorityFeePerGas: parseGwei("2.1") }, // +5%
      { maxFeePerGas: parseGwei("20"), maxPriorityFeePerGas: parseGwei("2") }, // only the cap rises
    ]) {
      const err = await refusal(await sign(a.privateKey, transfer(1, { ...fees, value: 2n })));
      expect(err).toEqual({ code: -32000, message: "replacement transaction underpriced" });
    }

    const replacement = await sign(
      a.privateKey,
      transfer(1, { maxFeePerGas: parseGwei("11"), maxPriorityFeePerGas: parseGwei("2.2"), value: 3n }),
    );
    expect(await send(replacement)).toBe(keccak256(replacement));
    const pool = await node.call<{ queued: Record<string, Record<string, { hash: string }>> }>("txpool_content");
    expect(pool.queued[a.address]?.["1"]?.hash).toBe(keccak256(replacement));

    // Filling the gap mines the replacement, never the original.
    const gap = await send(await sign(a.privateKey, transfer(0)));
    await waitForReceipt(node.url, gap);
    const mined = await waitForReceipt(node.url, keccak256(replacement));
    expect(mined.status).toBe("0x1");
    expect(await node.call("eth_getTransactionReceipt", [keccak256(original)])).toBeNull();
    expect(await node.call("eth_getTransactionByHash", [keccak256(original)])).toBeNull();
  });

  it("still accepts and mines valid transactions after all of that", async () => {
    const a = account(3);
    const hashes: Hex[] = [];
    for (let nonce = 0; nonce < 3; nonce++) hashes.push(await send(await sign(a.privateKey, transfer(nonce))));
    for (const h of hashes) expect((await waitForReceipt(node.url, h)).status).toBe("0x1");
    expect(await nonceOf(a.address)).toBe(3);
  });
});
