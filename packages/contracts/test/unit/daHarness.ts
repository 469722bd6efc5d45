import { aggregateSignatures, type SecretKey, type Signature } from "@chainsafe/blst";
import { createCustomCommon, Hardfork, Mainnet } from "@ethereumjs/common";
import type { EVM } from "@ethereumjs/evm";
import { type Abi, bytesToHex, decodeErrorResult, decodeFunctionResult, encodeFunctionData, type Hex, keccak256 } from "viem";
import {
  type DAGenesisParams,
  type DAGenesisSigner,
  type DASystemContractName,
  daEpochRegistrationMessage,
  daGenesisDeployments,
  daGenesisSigner,
  daRegistrationMessage,
  type G1Point,
  type G2Point,
  g1PointFromBytes,
  g2PointFromBytes,
} from "../../src/index.js";
import { balanceOf, type CallResult, createGenesisEVM, fundAccount, runTx } from "./genesisEvm.js";

export type { CallResult } from "./genesisEvm.js";

export const CHAIN_ID = 16661n;
export const QUORUM_SLOTS = 128;

/** The Ethereum account of test signer i (its BLS key is `blsKey(i)`). */
export const signerAddress = (i: number): Hex => `0x${(0xa000 + i).toString(16).padStart(40, "0")}`;

export const pkOf = (sk: SecretKey): G1Point => g1PointFromBytes(sk.toPublicKey().toBytes(false));
export const g2 = (sig: Signature): G2Point => g2PointFromBytes(sig.toBytes(false));
export const aggregate = (sigs: Signature[]): G2Point => g2(aggregateSignatures(sigs));

/** The proof of possession `DASigners.registerSigner` checks. */
export const popOf = (sk: SecretKey, signer: Hex): G2Point => g2(sk.sign(daRegistrationMessage(signer, CHAIN_ID, pkOf(sk))));

/** The signature `registerNextEpoch` checks for `epoch` (= current + 1). */
export const epochSigOf = (sk: SecretKey, signer: Hex, epoch: bigint): G2Point =>
  g2(sk.sign(daEpochRegistrationMessage(signer, epoch, CHAIN_ID)));

/** A genesis signer built from a blst secret key (what devnet genesis does with its 4 signer keys). */
export const genesisSignerOf = (
  sk: SecretKey,
  signer: Hex,
  votes: bigint,
  socket = `127.0.0.1:${34000 + Number(BigInt(signer) & 0xffn)}`,
) =>
  daGenesisSigner({
    signer,
    socket,
    publicKey: sk.toPublicKey().toBytes(false),
    epochSignature: sk.sign(daEpochRegistrationMessage(signer, 0n, CHAIN_ID)).toBytes(false),
    votes,
  });

/**
 * A Prague EVM (EIP-2537) with the DA contracts constructed at their addresses at block 0, as genesis does, and a
 * block clock. Each call starts from a clean access list with only the precompiles, the caller and the callee warm,
 * as a transaction would, so `gas` is a transaction's execution gas (add 21,000 and calldata).
 */
export class DAHarness {
  blockNumber = 1n;

  private constructor(
    readonly evm: EVM,
    readonly addresses: Record<DASystemContractName, Hex>,
  ) {}

  static async create(params: DAGenesisParams, genesis: readonly DAGenesisSigner[]): Promise<DAHarness> {
    const common = createCustomCommon({ chainId: Number(CHAIN_ID) }, Mainnet, { hardfork: Hardfork.Prague });
    const { evm, addresses } = await createGenesisEVM(daGenesisDeployments(params, genesis), { common });
    return new DAHarness(evm, addresses);
  }

  fund(who: Hex, wei: bigint): Promise<void> {
    return fundAccount(this.evm, who, wei);
  }

  balance(who: Hex): Promise<bigint> {
    return balanceOf(this.evm, who);
  }

  /** One call as a transaction from `from` (or, with `origin`, a call made by contract `from` inside `origin`'s tx). */
  call(from: Hex, to: Hex, data: Hex, value = 0n, origin: Hex = from): Promise<CallResult> {
    const ctx = { blockNumber: this.blockNumber, timestamp: 1_700_000_000n + this.blockNumber, origin, freshAccessList: true };
    return runTx(this.evm, from, to, data, value, ctx);
  }

  /** Calls `functionName` and expects success; returns the result with its gas and logs. */
  async send(abi: Abi, from: Hex, to: Hex, functionName: string, args: readonly unknown[] = [], value = 0n): Promise<CallResult> {
    const r = await this.call(from, to, encodeFunctionData({ abi, functionName, args } as never), value);
    if (!r.ok) {
      const e = decodeErrorResult({ abi, data: r.ret });
      throw new Error(`${functionName} reverted: ${e.errorName}(${(e.args ?? []).join(", ")})`);
    }
    return r;
  }

  async view<T = unknown>(abi: Abi, to: Hex, functionName: string, args: readonly unknown[] = []): Promise<T> {
    const r = await this.send(abi, signerAddress(999), to, functionName, args);
    return decodeFunctionResult({ abi, functionName, data: r.ret } as never) as T;
  }

  /** Calls and expects a revert; returns the decoded error (`abi` must hold every error the call can bubble up). */
  async revert(
    abi: Abi,
    from: Hex,
    to: Hex,
    functionName: string,
    args: readonly unknown[] = [],
    value = 0n,
  ): Promise<{ errorName: string; args: readonly unknown[] }> {
    const r = await this.call(from, to, encodeFunctionData({ abi, functionName, args } as never), value);
    if (r.ok) throw new Error(`expected ${functionName} to revert`);
    const e = decodeErrorResult({ abi, data: r.ret });
    return { errorName: e.errorName, args: e.args ?? [] };
  }
}

export interface ModelRegistration {
  signer: Hex;
  votes: number;
  seed: Hex;
}

/** 0G's quorum rule in TypeScript, the reference the contract is compared with. */
export function modelQuorums(regs: readonly ModelRegistration[], maxQuorums: number): Hex[][] {
  const ballots: { key: bigint; signer: Hex }[] = [];
  for (const r of regs) {
    let c = r.seed;
    for (let j = 0; j < r.votes; j++) {
      ballots.push({ key: BigInt(c), signer: r.signer });
      c = keccak256(c);
    }
  }
  ballots.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const n = ballots.length;
  if (n === 0) return [];
  const slots = (start: number) => Array.from({ length: QUORUM_SLOTS }, (_, i) => ballots[(start + i) % n]!.signer);
  if (n < QUORUM_SLOTS) return [slots(0)];
  const count = Math.min(Math.floor(n / QUORUM_SLOTS), maxQuorums);
  const quorums = Array.from({ length: count }, (_, q) => slots(q * QUORUM_SLOTS));
  if (n % QUORUM_SLOTS !== 0 && count < maxQuorums) quorums.push(slots(n - QUORUM_SLOTS));
  return quorums;
}

/** 0G's `getAggPkG1` count: the signers whose keys are added (in order) and `hit`. */
export function modelAggregate(quorum: readonly Hex[], bitmap: Uint8Array): { signers: Hex[]; hit: number } {
  const added = new Set<string>();
  const signers: Hex[] = [];
  let hit = 0;
  quorum.forEach((s, i) => {
    const key = s.toLowerCase();
    if (added.has(key)) hit++;
    else if ((bitmap[i >> 3]! >> (i & 7)) & 1) {
      added.add(key);
      signers.push(s);
      hit++;
    }
  });
  return { signers, hit };
}

/** The 16-byte bitmap with every slot of `signers` set. */
export function bitmapOf(quorum: readonly Hex[], signers: readonly Hex[]): Hex {
  const set = new Set(signers.map((s) => s.toLowerCase()));
  const b = new Uint8Array(QUORUM_SLOTS / 8);
  quorum.forEach((s, i) => {
    if (set.has(s.toLowerCase())) b[i >> 3]! |= 1 << (i & 7);
  });
  return bytesToHex(b);
}
