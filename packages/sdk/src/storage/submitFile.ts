import type { SubmissionNode } from "@zerog/core/merkle";
import { type Account, type Address, type Chain, type Client, type Hex, parseEventLogs, type Transport, toHex } from "viem";
import { readContract, waitForTransactionReceipt, writeContract } from "viem/actions";
import { fixedPriceAbi, flowAbi, flowSubmitNewAbi, flowSubmitOldAbi, type SubmitABI } from "./abi.js";
import { StorageClientError, StorageClientErrorCode } from "./errors.js";

export interface SubmitFileParameters {
  flowAddress: Address;
  account: Account | Address;
  size: number;
  nodes: readonly SubmissionNode[];
  abi: SubmitABI;
  tags?: Hex | undefined;
  /** Overrides `Σ 2^height × pricePerSector`. */
  fee?: bigint | undefined;
  /** Between receipt polls (default 250 ms; viem's default for HTTP is 4 s, longer than a devnet block). */
  pollingInterval?: number | undefined;
}

export interface SubmitFileReturnType {
  txHash: Hex;
  txSeq: number;
  startPos: number;
  fee: bigint;
}

/** What the FixedPrice market charges for a submission: `Σ 2^height × pricePerSector` (reference §2.2). */
export async function getSubmissionFee(
  client: Client<Transport, Chain | undefined>,
  p: { flowAddress: Address; nodes: readonly { height: number }[] },
): Promise<bigint> {
  const market = await readContract(client, { address: p.flowAddress, abi: flowAbi, functionName: "market" });
  const price = await readContract(client, { address: market, abi: fixedPriceAbi, functionName: "pricePerSector" });
  return p.nodes.reduce((sum, n) => sum + (1n << BigInt(n.height)), 0n) * price;
}

/** Sends `Flow.submit` with the fee, waits for the receipt and reads the tx seq from its `Submit` log. */
export async function submitFile(
  client: Client<Transport, Chain | undefined, Account | undefined>,
  p: SubmitFileParameters,
): Promise<SubmitFileReturnType> {
  const fail = (reason: string, txHash?: Hex, cause?: unknown) =>
    new StorageClientError(
      { code: StorageClientErrorCode.SUBMIT_FAILED, reason, ...(txHash ? { txHash } : {}) },
      `Flow.submit at ${p.flowAddress} failed: ${reason}`,
      { cause },
    );
  let fee: bigint;
  try {
    fee = p.fee ?? (await getSubmissionFee(client, p));
  } catch (e) {
    throw fail(
      `cannot read the storage price (Flow.market().pricePerSector()): ${shortMessage(e)}; is ${p.flowAddress} a Flow contract on this chain?`,
      undefined,
      e,
    );
  }
  const data = {
    length: BigInt(p.size),
    tags: p.tags ?? "0x",
    nodes: p.nodes.map((n) => ({ root: toHex(n.root), height: BigInt(n.height) })),
  };
  const submitter = typeof p.account === "string" ? p.account : p.account.address;
  let txHash: Hex;
  try {
    const common = { address: p.flowAddress, functionName: "submit", value: fee, account: p.account, chain: client.chain ?? null } as const;
    txHash =
      p.abi === "new"
        ? await writeContract(client, { ...common, abi: flowSubmitNewAbi, args: [{ data, submitter }] })
        : await writeContract(client, { ...common, abi: flowSubmitOldAbi, args: [data] });
  } catch (e) {
    throw fail(
      `${shortMessage(e)} (fee ${fee} neuron, ${p.abi} submit ABI; try --abi ${p.abi === "new" ? "old" : "new"} if the contract only knows the other one)`,
      undefined,
      e,
    );
  }
  const receipt = await waitForTransactionReceipt(client, { hash: txHash, pollingInterval: p.pollingInterval ?? 250 });
  if (receipt.status !== "success") throw fail(`transaction ${txHash} reverted in block ${receipt.blockNumber}`, txHash);
  const flowLogs = receipt.logs.filter((l) => l.address.toLowerCase() === p.flowAddress.toLowerCase());
  const [submit] = parseEventLogs({ abi: flowAbi, eventName: "Submit", logs: flowLogs });
  if (!submit) throw fail(`transaction ${txHash} emitted no Submit event from ${p.flowAddress}`, txHash);
  return { txHash, txSeq: Number(submit.args.submissionIndex), startPos: Number(submit.args.startPos), fee };
}

function shortMessage(e: unknown): string {
  if (typeof e === "object" && e !== null && "shortMessage" in e && typeof e.shortMessage === "string") {
    const details = "details" in e && typeof e.details === "string" && e.details ? ` (${e.details})` : "";
    return `${e.shortMessage}${details}`;
  }
  return e instanceof Error ? e.message : String(e);
}
