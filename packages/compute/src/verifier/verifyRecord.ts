import { sha256 } from "@zerog/core";
import { checkAnswer, type SignaturePayload } from "../client/checkAnswer.js";
import type { ComputeChain } from "../client/computeChain.js";
import { inferenceEip712Domain } from "../client/inferenceTypedData.js";
import type { JournalRecord } from "../client/requestJournal.js";
import type { IntModel } from "../runtime/model.js";
import type { DisputeChain } from "./disputeChain.js";
import { reexecuteAnswer } from "./reexecuteAnswer.js";
import { weightsOf } from "./verifierNode.js";

export interface RecordVerdict {
  chatId: string;
  provider: string;
  /**
   * `correct`: signatures check and re-execution gives the same answer. `wrong`: signatures check but the answer is not
   * the model's. `forged`: the provider's signatures do not cover these bytes (nothing to dispute with).
   * `unverifiable`: the service is not re-executable here (not OpML, or other weights).
   */
  verdict: "correct" | "wrong" | "forged" | "unverifiable";
  details: string[];
  /** Set when a dispute was opened. */
  disputeId?: bigint;
}

export interface VerifyRecordParameters {
  record: JournalRecord;
  chain: ComputeChain;
  model: IntModel;
  /** Open a dispute when the verdict is `wrong` (pays the bond). */
  disputes?: DisputeChain;
}

/**
 * Verifies one kept exchange: the provider's signatures over its exact bytes, then — for a re-executable service
 * running the same weights as `model` — the answer itself; with `disputes`, a wrong answer is disputed on chain.
 */
export async function verifyRecord(p: VerifyRecordParameters): Promise<RecordVerdict> {
  const { record, chain, model } = p;
  const base = { chatId: record.chatId, provider: record.provider };
  const service = await chain.getService(record.provider as `0x${string}`);
  if (!service) return { ...base, verdict: "unverifiable", details: [`${record.provider} has no service on chain any more`] };
  const payload = record.signature as unknown as SignaturePayload;
  const check = checkAnswer({
    requestBytes: record.requestBytes,
    responseBytes: record.responseBytes,
    payload,
    signer: service.teeSignerAddress,
    provider: record.provider,
    user: record.user,
    domain: inferenceEip712Domain(chain.chainId, chain.contracts.InferenceServing),
    prices: { inputPrice: service.inputPrice, outputPrice: service.outputPrice },
  });
  if (!check.ok || !check.receipt) return { ...base, verdict: "forged", details: check.problems };
  const weights = weightsOf(service.additionalInfo);
  if (service.verifiability !== "OpML" || weights !== `sha256:${model.sha256}`)
    return {
      ...base,
      verdict: "unverifiable",
      details: [
        `the service is ${service.verifiability || "not verifiable"} with weights ${weights ?? "unknown"}; this model is sha256:${model.sha256}`,
      ],
    };
  const cmp = reexecuteAnswer(model, record.route, record.stream, record.requestBytes, record.responseBytes);
  if (cmp.equal)
    return {
      ...base,
      verdict: "correct",
      details: [`re-execution gives the same answer (request sha256 ${hex(sha256(record.requestBytes))})`],
    };
  const out: RecordVerdict = { ...base, verdict: "wrong", details: cmp.differences };
  if (p.disputes && payload.receipt_signature) {
    out.disputeId = await p.disputes.openDispute({
      receipt: check.receipt,
      signature: payload.receipt_signature,
      request: record.requestBytes,
      response: record.responseBytes,
    });
  }
  return out;
}

/**
 * Whether the provider has settled since it served `record`: its settlement nonces are `unixSeconds · 10^7` when sent
 * (0G's convention, which the broker follows), so an account nonce at or past `createdAt · 10^7` means a settlement
 * signed after the receipt. A settlement cut short by a low balance may have left this record for the next one.
 */
export function settledSince(record: JournalRecord, accountNonce: bigint): boolean {
  const receipt = (record.signature as { receipt?: { createdAt?: unknown } }).receipt;
  const createdAt = typeof receipt?.createdAt === "string" && /^[0-9]+$/.test(receipt.createdAt) ? BigInt(receipt.createdAt) : null;
  return createdAt !== null && accountNonce >= createdAt * 10_000_000n;
}

/**
 * Whether a record is in the sample a watcher checks: a keyed hash of its chat id below `share`, so repeated runs pick
 * the same records and a provider cannot tell which ones will be checked.
 */
export function inSample(chatId: string, share: number, key: Uint8Array): boolean {
  if (share >= 1) return true;
  if (share <= 0) return false;
  const h = sha256(new Uint8Array([...key, ...new TextEncoder().encode(chatId)]));
  const x = ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
  return x / 2 ** 32 < share;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}
