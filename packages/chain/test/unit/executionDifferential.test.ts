import { createBlock } from "@ethereumjs/block";
import { createCustomCommon, Hardfork, Mainnet } from "@ethereumjs/common";
import { MerkleStateManager } from "@ethereumjs/statemanager";
import { createTxFromRLP } from "@ethereumjs/tx";
import { Account, Address } from "@ethereumjs/util";
import { createVM, runTx } from "@ethereumjs/vm";
import { contracts } from "@zerog/contracts";
import { bytesToHex, hexToBytes, MemoryStore, privateKeyToAddressBytes } from "@zerog/core";
import { encodeDeployData, encodeFunctionData } from "viem";
import { describe, expect, it } from "vitest";
import { BlockExecutor, createAddress } from "../../src/execution/blockExecutor.js";
import { createChainCommon } from "../../src/execution/common.js";
import { emptyAccount } from "../../src/state/account.js";
import { BlockState } from "../../src/state/blockState.js";
import { StateDB } from "../../src/state/stateDB.js";
import { decodeTx, signTx, type UnsignedTx } from "../../src/tx/transaction.js";

const CHAIN_ID = 31337n;
const common = createChainCommon(CHAIN_ID);
const keys = Array.from({ length: 6 }, (_, i) => hexToBytes(`0x${(i + 1).toString(16).padStart(64, "0")}`));
const senders = keys.map((k) => privateKeyToAddressBytes(k));
const FUND = 10n ** 24n;

/** A deterministic PRNG so every run builds the same blocks. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Scenario {
  blocks: { coinbase: Uint8Array; baseFee: bigint; txs: Uint8Array[] }[];
}

function buildScenario(seed: number): Scenario {
  const rand = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const nonces = senders.map(() => 0n);
  const token = createAddress(senders[0]!, 0n);
  const events = createAddress(senders[0]!, 1n);
  const blocks: Scenario["blocks"] = [];
  const mk = (i: number, fields: Partial<UnsignedTx>, type: 0 | 1 | 2 = 2): Uint8Array => {
    const tx: UnsignedTx = {
      type,
      chainId: CHAIN_ID,
      nonce: nonces[i]!++,
      maxPriorityFeePerGas: 2n * 10n ** 9n,
      maxFeePerGas: 50n * 10n ** 9n,
      gasLimit: 3_000_000n,
      to: null,
      value: 0n,
      data: new Uint8Array(0),
      accessList: [],
      ...fields,
    };
    if (type !== 2) tx.maxPriorityFeePerGas = tx.maxFeePerGas = 20n * 10n ** 9n;
    return signTx(tx, keys[i]!).raw;
  };
  blocks.push({
    coinbase: hexToBytes("0x00000000000000000000000000000000000c0ffe"),
    baseFee: 7n * 10n ** 9n,
    txs: [
      mk(0, {
        data: hexToBytes(
          encodeDeployData({ abi: contracts.TestToken.abi, bytecode: contracts.TestToken.bytecode, args: ["T", "T", 10n ** 30n] }),
        ),
      }),
      mk(0, { data: hexToBytes(contracts.TestEvents.bytecode) }),
    ],
  });
  for (let b = 0; b < 6; b++) {
    const txs: Uint8Array[] = [];
    for (let t = 0; t < 25; t++) {
      const i = Math.floor(rand() * senders.length);
      const kind = Math.floor(rand() * 12);
      const fresh = hexToBytes(bytesToHex(new Uint8Array(20).map(() => Math.floor(rand() * 256))));
      const type = pick([0, 1, 2] as const);
      const call = (data: `0x${string}`, to = events, value = 0n) => mk(i, { to, data: hexToBytes(data), value }, type);
      switch (kind) {
        case 0:
          txs.push(mk(i, { to: fresh, value: BigInt(Math.floor(rand() * 1e9)) }, type));
          break;
        case 1:
          txs.push(mk(i, { to: pick(senders), value: 0n }, type));
          break;
        case 2:
          txs.push(mk(i, { to: senders[i]!, value: 5n }, type));
          break;
        case 3:
          txs.push(
            call(encodeFunctionData({ abi: contracts.TestToken.abi, functionName: "transfer", args: [bytesToHex(fresh), 1000n] }), token),
          );
          break;
        case 4:
          txs.push(
            call(
              encodeFunctionData({ abi: contracts.TestToken.abi, functionName: "transfer", args: [bytesToHex(fresh), 10n ** 40n] }),
              token,
            ),
          );
          break;
        case 5:
          txs.push(
            call(encodeFunctionData({ abi: contracts.TestEvents.abi, functionName: "emitMany", args: [BigInt(Math.floor(rand() * 5))] })),
          );
          break;
        case 6:
          txs.push(
            call(
              encodeFunctionData({ abi: contracts.TestEvents.abi, functionName: "burnGas", args: [BigInt(1 + Math.floor(rand() * 6))] }),
            ),
          );
          break;
        case 7:
          txs.push(
            call(encodeFunctionData({ abi: contracts.TestEvents.abi, functionName: "clearSink", args: [BigInt(Math.floor(rand() * 6))] })),
          );
          break;
        case 8:
          txs.push(
            call(
              encodeFunctionData({ abi: contracts.TestEvents.abi, functionName: "createAndDestroy", args: [bytesToHex(fresh)] }),
              events,
              77n,
            ),
          );
          break;
        case 9:
          txs.push(
            call(
              encodeFunctionData({
                abi: contracts.TestEvents.abi,
                functionName: "deployChild",
                args: [bytesToHex(fresh.subarray(0, 20)).padEnd(66, "0") as `0x${string}`],
              }),
              events,
              3n,
            ),
          );
          break;
        case 10:
          txs.push(mk(i, { to: hexToBytes("0x0000000000000000000000000000000000000004"), value: 9n, data: Uint8Array.of(1, 2, 3) }, type));
          break;
        default:
          txs.push(call(encodeFunctionData({ abi: contracts.TestEvents.abi, functionName: "setValue", args: [BigInt(t)] }), events, 0n));
          break;
      }
    }
    blocks.push({
      coinbase: pick([...senders, hexToBytes("0x00000000000000000000000000000000000c0ffe")]),
      baseFee: BigInt(1 + Math.floor(rand() * 9)) * 10n ** 9n,
      txs,
    });
  }
  return { blocks };
}

interface Observed {
  roots: string[];
  receipts: { status: number; gasUsed: bigint; logs: number }[];
}

async function runOurs(s: Scenario, fastTransfers = true): Promise<Observed> {
  const db = new MemoryStore();
  const stateDB = new StateDB({}, { db });
  const genesis = new BlockState(stateDB);
  for (const a of senders) genesis.writeAccount(bytesToHex(a).slice(2), { ...emptyAccount(), balance: FUND });
  await db.batch(stateDB.apply(genesis.diff()).ops);
  stateDB.commitApplied();
  const out: Observed = { roots: [], receipts: [] };
  for (const [n, blk] of s.blocks.entries()) {
    const state = new BlockState(stateDB);
    const env = {
      number: BigInt(n + 1),
      timestamp: 1000n + BigInt(n),
      coinbase: blk.coinbase,
      gasLimit: 60_000_000n,
      baseFeePerGas: blk.baseFee,
      prevRandao: new Uint8Array(32),
      getBlockHash: () => new Uint8Array(32),
    };
    const ex = await BlockExecutor.create(common, env, state, { fastTransfers });
    for (const raw of blk.txs) {
      const r = await ex.applyTx(decodeTx(raw));
      out.receipts.push({ status: r.status, gasUsed: r.gasUsed, logs: r.logs.length });
    }
    const { root, ops } = stateDB.apply(state.diff());
    await db.batch(ops);
    stateDB.commitApplied();
    out.roots.push(bytesToHex(root));
  }
  return out;
}

async function runReference(s: Scenario): Promise<Observed> {
  // ethereumjs' own Common and crypto, without our native crypto or lookup patches.
  const common = createCustomCommon({ chainId: Number(CHAIN_ID) }, Mainnet, { hardfork: Hardfork.Prague });
  const sm = new MerkleStateManager({ common });
  const vm = await createVM({ common, stateManager: sm });
  for (const a of senders) await sm.putAccount(new Address(a), new Account(0n, FUND));
  const out: Observed = { roots: [], receipts: [] };
  for (const [n, blk] of s.blocks.entries()) {
    const block = createBlock(
      {
        header: {
          number: BigInt(n + 1),
          timestamp: 1000n + BigInt(n),
          coinbase: new Address(blk.coinbase),
          gasLimit: 60_000_000n,
          baseFeePerGas: blk.baseFee,
        },
      },
      { common },
    );
    for (const raw of blk.txs) {
      const r = await runTx(vm, { tx: createTxFromRLP(raw, { common }), block, skipBlockGasLimitValidation: true });
      out.receipts.push({ status: r.execResult.exceptionError ? 0 : 1, gasUsed: r.totalGasSpent, logs: r.receipt.logs.length });
    }
    out.roots.push(bytesToHex(await sm.getStateRoot()));
  }
  return out;
}

describe("BlockExecutor", () => {
  for (const seed of [1, 2, 3]) {
    it(`gives the same receipts and state roots as ethereumjs runTx (seed ${seed})`, async () => {
      const s = buildScenario(seed);
      const [ours, slow, ref] = await Promise.all([runOurs(s), runOurs(s, false), runReference(s)]);
      expect(slow).toEqual(ours);
      expect(ours.receipts.length).toBe(ref.receipts.length);
      expect(ours.receipts).toEqual(ref.receipts);
      expect(ours.roots).toEqual(ref.roots);
      // The scenario must exercise both outcomes, or the comparison proves little.
      expect(ours.receipts.some((r) => r.status === 0)).toBe(true);
      expect(ours.receipts.some((r) => r.logs > 0)).toBe(true);
    });
  }
});
