import { inferenceDisputesAbi } from "@zerog/contracts";
import { bytesToHex, hexToBytes } from "@zerog/core";
import { decodeEventLog, type Hex, parseEventLogs } from "viem";
import { type InferenceReceipt, receiptToJSON } from "../client/chatSignature.js";
import type { ComputeChain } from "../client/computeChain.js";
import { ComputeError, ComputeErrorCode } from "../errors.js";

/** `InferenceDisputes.getDispute`. Outcome 0 open, 1 provider wrong (slashed), 2 provider right, 3 dismissed. */
export interface DisputeState {
  provider: Hex;
  openedAt: bigint;
  outcome: number;
  user: Hex;
  deadline: bigint;
  challenger: Hex;
  epoch: bigint;
  receiptDigest: Hex;
  bond: bigint;
  slashed: bigint;
  eligibleStake: bigint;
  stakeProviderCorrect: bigint;
  stakeProviderWrong: bigint;
}

/** A `DisputeOpened` event: everything a verifier needs to re-execute the request. */
export interface OpenedDispute {
  id: bigint;
  provider: Hex;
  user: Hex;
  challenger: Hex;
  request: Uint8Array;
  response: Uint8Array;
  deadline: bigint;
  blockNumber: bigint;
}

export interface VerifierState {
  stake: bigint;
  joinedEpoch: bigint;
  exitEpoch: bigint;
  registeredAt: bigint;
  exitRequestedAt: bigint;
}

export const DISPUTE_OUTCOMES = ["open", "provider wrong (slashed)", "provider right (bond forfeited)", "dismissed (no quorum)"] as const;

/** `InferenceDisputes` over a `ComputeChain`: open disputes, register and vote as a verifier, resolve, withdraw. */
export class DisputeChain {
  constructor(readonly chain: ComputeChain) {}

  get address(): Hex {
    return this.chain.contracts.InferenceDisputes;
  }

  async read<T>(functionName: string, args: readonly unknown[] = []): Promise<T> {
    try {
      return (await this.chain.client.readContract({
        address: this.address,
        abi: inferenceDisputesAbi,
        functionName: functionName as never,
        args: args as never,
      })) as T;
    } catch (e) {
      throw new ComputeError(
        { code: ComputeErrorCode.CHAIN_FAILED, detail: functionName },
        `${functionName} failed: ${(e as Error).message}`,
      );
    }
  }

  disputeBond(): Promise<bigint> {
    return this.read("disputeBond");
  }

  minVerifierStake(): Promise<bigint> {
    return this.read("minVerifierStake");
  }

  getDispute(id: bigint): Promise<DisputeState> {
    return this.read("getDispute", [id]);
  }

  getVerifier(verifier: Hex): Promise<VerifierState> {
    return this.read("getVerifier", [verifier]);
  }

  hasVoted(id: bigint, verifier: Hex): Promise<boolean> {
    return this.read("hasVoted", [id, verifier]);
  }

  withdrawable(who: Hex): Promise<bigint> {
    return this.read("withdrawable", [who]);
  }

  /** Opens a dispute over a provider-signed receipt with the exact bytes it hashes; pays the bond; returns the id. */
  async openDispute(p: { receipt: InferenceReceipt; signature: string; request: Uint8Array; response: Uint8Array }): Promise<bigint> {
    const r = receiptToJSON(p.receipt);
    const receipt = {
      user: r.user,
      provider: r.provider,
      requestHash: r.requestHash,
      responseHash: r.responseHash,
      inputTokens: p.receipt.inputTokens,
      outputTokens: p.receipt.outputTokens,
      fee: p.receipt.fee,
      createdAt: p.receipt.createdAt,
    };
    const bond = await this.disputeBond();
    const tx = await this.chain.send(
      this.address,
      inferenceDisputesAbi,
      "dispute",
      [receipt, p.signature as Hex, bytesToHex(p.request), bytesToHex(p.response)],
      bond,
    );
    const [opened] = parseEventLogs({ abi: inferenceDisputesAbi, eventName: "DisputeOpened", logs: tx.logs });
    if (!opened)
      throw new ComputeError(
        { code: ComputeErrorCode.CHAIN_FAILED, detail: "no DisputeOpened" },
        "the dispute transaction logged no DisputeOpened",
      );
    return (opened.args as { id: bigint }).id;
  }

  registerVerifier(stake: bigint): Promise<Hex> {
    return this.chain.write(this.address, inferenceDisputesAbi, "registerVerifier", [], stake);
  }

  vote(id: bigint, providerCorrect: boolean): Promise<Hex> {
    return this.chain.write(this.address, inferenceDisputesAbi, "voteDispute", [id, providerCorrect]);
  }

  resolve(id: bigint): Promise<Hex> {
    return this.chain.write(this.address, inferenceDisputesAbi, "resolveDispute", [id]);
  }

  withdraw(): Promise<Hex> {
    return this.chain.write(this.address, inferenceDisputesAbi, "withdraw", []);
  }

  async blockNumber(): Promise<bigint> {
    return this.chain.client.getBlockNumber();
  }

  /** `DisputeOpened` events in blocks `[from, to]`. */
  async disputesOpened(from: bigint, to: bigint): Promise<OpenedDispute[]> {
    const logs = (await this.chain.client.getLogs({
      address: this.address,
      event: inferenceDisputesAbi.find((e) => e.type === "event" && e.name === "DisputeOpened") as never,
      fromBlock: from,
      toBlock: to,
    })) as unknown as { data: Hex; topics: [Hex, ...Hex[]]; blockNumber: bigint | null }[];
    return logs.map((log) => {
      const { args } = decodeEventLog({ abi: inferenceDisputesAbi, data: log.data, topics: log.topics }) as unknown as {
        args: { id: bigint; provider: Hex; user: Hex; challenger: Hex; request: Hex; response: Hex; deadline: bigint };
      };
      return {
        id: args.id,
        provider: args.provider,
        user: args.user,
        challenger: args.challenger,
        request: hexToBytes(args.request),
        response: hexToBytes(args.response),
        deadline: args.deadline,
        blockNumber: log.blockNumber ?? 0n,
      };
    });
  }
}
