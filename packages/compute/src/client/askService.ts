import { hexToBytes } from "@zerog/core";
import type { Hex } from "viem";
import type { InferenceRoute } from "../backend.js";
import { ComputeError, ComputeErrorCode } from "../errors.js";
import { type AskReturnType, askProvider } from "./askProvider.js";
import { type AnswerCheck, checkAnswer, type SignaturePayload } from "./checkAnswer.js";
import type { ComputeChain, Service } from "./computeChain.js";
import { inferenceEip712Domain } from "./inferenceTypedData.js";
import type { RequestJournal } from "./requestJournal.js";
import { createSessionToken } from "./sessionToken.js";

export interface AskServiceParameters {
  provider: Hex;
  /** The user's key: signs the session token (the chain account of `chain` must be the same). */
  privateKey: Hex;
  route?: InferenceRoute;
  /** OpenAI body without `model` (the service's model is used unless given). */
  body: Record<string, unknown>;
  onText?: (text: string) => void;
  /**
   * Move this much from the ledger into the provider's sub-account when it holds less than `topUpBelow` (0G's SDK
   * does the same: trigger and target multiples of the prices); 0 disables top-ups.
   */
  topUp?: { below: bigint; amount: bigint };
  /** Keep the exchange (bytes, signatures) for `zg compute verify` and `watch`. */
  journal?: RequestJournal;
  signal?: AbortSignal;
}

export interface AskServiceReturnType extends AskReturnType {
  service: Service;
  payload: SignaturePayload;
  check: AnswerCheck;
  /** Where the journal kept the exchange. */
  journalPath: string | null;
}

/**
 * Asks a registered provider: funds the sub-account if it runs low, signs a session token, sends the request, then
 * fetches the answer's signatures and checks them against the exact bytes exchanged (`check.ok`).
 */
export async function askService(chain: ComputeChain, p: AskServiceParameters): Promise<AskServiceReturnType> {
  const service = await chain.getService(p.provider);
  if (!service)
    throw new ComputeError(
      { code: ComputeErrorCode.UNKNOWN_SERVICE, provider: p.provider },
      `${p.provider} has no inference service on chain; list them with zg compute services`,
    );
  let account = await chain.getAccount(p.provider);
  if (p.topUp && p.topUp.amount > 0n && (!account || account.balance - account.pendingRefund < p.topUp.below)) {
    await chain.transferFund(p.provider, p.topUp.amount);
    account = await chain.getAccount(p.provider);
  }
  const token = await createSessionToken({
    privateKey: hexToBytes(p.privateKey),
    provider: p.provider,
    generation: Number(account?.generation ?? 0n),
  });
  const answer = await askProvider({
    url: service.url,
    authorization: token.authorization,
    ...(p.route ? { route: p.route } : {}),
    body: { model: service.model, ...p.body },
    ...(p.onText ? { onText: p.onText } : {}),
    ...(p.signal ? { signal: p.signal } : {}),
  });
  const payload = await fetchSignature(service.url, answer.chatId, service.model);
  const check = checkAnswer({
    requestBytes: answer.requestBytes,
    responseBytes: answer.responseBytes,
    payload,
    signer: service.teeSignerAddress,
    provider: p.provider,
    user: chain.address,
    domain: inferenceEip712Domain(chain.chainId, chain.contracts.InferenceServing),
    prices: { inputPrice: service.inputPrice, outputPrice: service.outputPrice },
  });
  const journalPath =
    p.journal?.save({
      chatId: answer.chatId,
      provider: p.provider,
      user: chain.address,
      route: answer.route,
      stream: answer.stream,
      requestBytes: answer.requestBytes,
      responseBytes: answer.responseBytes,
      signature: payload as unknown as Record<string, unknown>,
      receivedAt: Date.now(),
    }) ?? null;
  return { ...answer, service, payload, check, journalPath };
}

/** `GET ${url}/v1/proxy/signature/:chatId?model=` (0G's route). */
export async function fetchSignature(url: string, chatId: string, model: string): Promise<SignaturePayload> {
  const at = `${url.replace(/\/+$/, "")}/v1/proxy/signature/${encodeURIComponent(chatId)}?model=${encodeURIComponent(model)}`;
  let res: Response;
  try {
    res = await fetch(at);
  } catch (e) {
    throw new ComputeError(
      { code: ComputeErrorCode.BACKEND_FAILED, detail: at },
      `cannot fetch the answer's signature at ${at}: ${(e as Error).message}`,
    );
  }
  const body = await res.text();
  if (!res.ok)
    throw new ComputeError(
      { code: ComputeErrorCode.PROVIDER_REFUSED, status: res.status, message: body.slice(0, 300) },
      `${at}: HTTP ${res.status} ${body.slice(0, 300)}`,
    );
  let j: Partial<SignaturePayload> | null = null;
  try {
    j = JSON.parse(body) as Partial<SignaturePayload>;
  } catch {}
  if (typeof j?.text !== "string" || typeof j.signature !== "string")
    throw new ComputeError(
      { code: ComputeErrorCode.VERIFICATION_FAILED, detail: at },
      `${at} did not serve a signature (text and signature)`,
    );
  return j as SignaturePayload;
}
