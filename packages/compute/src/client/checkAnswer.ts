import { sha256 } from "@zerog/core";
import {
  chatSignatureText,
  type InferenceReceipt,
  type InferenceReceiptJSON,
  receiptFromJSON,
  recoverChatTextSigner,
  recoverInferenceReceiptSigner,
} from "./chatSignature.js";
import type { InferenceEip712Domain } from "./inferenceTypedData.js";

/** What `GET /v1/proxy/signature/:chatId` serves. */
export interface SignaturePayload {
  text: string;
  signature: string;
  signing_address: string;
  signing_algo: string;
  receipt?: InferenceReceiptJSON;
  receipt_signature?: string;
}

export interface AnswerCheckParameters {
  requestBytes: Uint8Array;
  responseBytes: Uint8Array;
  payload: SignaturePayload;
  /** The service's signer on chain (`teeSignerAddress`). */
  signer: string;
  provider: string;
  /** The user who asked; the receipt must name them. */
  user: string;
  /** EIP-712 domain of the receipt (`InferenceServing` on this chain). */
  domain: InferenceEip712Domain;
  /** Prices on chain, to check the receipt's fee; omitted: the fee is not checked. */
  prices?: { inputPrice: bigint; outputPrice: bigint };
}

export interface AnswerCheck {
  /** No problem found: both signatures are the signer's and cover exactly these bytes, and the receipt is right. */
  ok: boolean;
  problems: string[];
  receipt: InferenceReceipt | null;
}

/**
 * Checks an answer against what its provider signed, from the exact bytes sent and received — stricter than 0G's SDK,
 * which only checks who signed: the chat text is recomputed from both sha256 hashes, and the receipt must carry the
 * same hashes, this user and provider, and a fee that matches the prices and token counts.
 */
export function checkAnswer(p: AnswerCheckParameters): AnswerCheck {
  const problems: string[] = [];
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  const text = chatSignatureText(p.requestBytes, p.responseBytes);
  if (p.payload.text !== text) problems.push("the signed text is not sha256(request):sha256(response) of the bytes exchanged");
  try {
    const who = recoverChatTextSigner(p.payload.text, p.payload.signature);
    if (!same(who, p.signer)) problems.push(`the chat signature is by ${who}, not the service's signer ${p.signer}`);
  } catch {
    problems.push("the chat signature is malformed");
  }
  let receipt: InferenceReceipt | null = null;
  if (!p.payload.receipt || !p.payload.receipt_signature) problems.push("the provider served no receipt");
  else {
    try {
      receipt = receiptFromJSON(p.payload.receipt);
      const who = recoverInferenceReceiptSigner(receipt, p.domain, p.payload.receipt_signature);
      if (!same(who, p.signer)) problems.push(`the receipt is signed by ${who}, not the service's signer ${p.signer}`);
      if (!equalBytes(receipt.requestHash, sha256(p.requestBytes)))
        problems.push("the receipt's requestHash is not sha256 of the request sent");
      if (!equalBytes(receipt.responseHash, sha256(p.responseBytes)))
        problems.push("the receipt's responseHash is not sha256 of the response received");
      if (!same(receipt.user, p.user)) problems.push(`the receipt names user ${receipt.user}, not ${p.user}`);
      if (!same(receipt.provider, p.provider)) problems.push(`the receipt names provider ${receipt.provider}, not ${p.provider}`);
      if (p.prices) {
        const fee = receipt.inputTokens * p.prices.inputPrice + receipt.outputTokens * p.prices.outputPrice;
        if (receipt.fee !== fee)
          problems.push(`the receipt charges ${receipt.fee} neuron; its token counts at the listed prices make ${fee}`);
      }
    } catch (e) {
      problems.push(`the receipt does not parse: ${(e as Error).message}`);
    }
  }
  return { ok: problems.length === 0, problems, receipt };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
