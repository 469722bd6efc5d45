import { createHash, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { bytesToHex, type Hex, type Logger } from "@zerog/core";
import type { InferenceRoute, ModelBackend } from "../backend.js";
import {
  chatSignatureTextOfHashes,
  type InferenceReceipt,
  inferenceReceiptDigest,
  receiptToJSON,
  signChatText,
} from "../client/chatSignature.js";
import { signDigest65 } from "../client/ecdsa.js";
import type { InferenceEip712Domain } from "../client/inferenceTypedData.js";
import { checkSessionToken } from "../client/sessionToken.js";
import { ComputeError, ComputeErrorCode } from "../errors.js";
import type { AccountCache } from "./accountCache.js";
import type { BrokerAccount } from "./brokerChain.js";
import { readBody, writePiece } from "./http.js";
import { type MeteredUsage, ResponseMeter } from "./meter.js";
import type { TokenCache } from "./tokenCache.js";
import type { UsageStore } from "./usageStore.js";

export interface ProxyOptions {
  maxBodyBytes: number;
  defaultMaxTokens: number;
  backendTimeoutMs: number;
}

export interface ProxyDeps {
  provider: Hex;
  signerKey: Uint8Array;
  signerAddress: Hex;
  domain: InferenceEip712Domain;
  /** Prices billed, from the service on chain. */
  prices: () => { inputPrice: bigint; outputPrice: bigint };
  tokens: TokenCache;
  accounts: AccountCache;
  store: UsageStore;
  backend: ModelBackend;
  logger: Logger;
  now: () => number;
  /** Called once per billed request (metrics). */
  onBilled?: (fee: bigint, usage: MeteredUsage) => void;
}

const ZERO = new Uint8Array(0);
const RECHECK_MS = 1_000;

/**
 * One inference request through the broker: authenticate the session token, admit it against what the sub-account
 * can still pay, forward the exact bytes to the backend, relay its answer piece by piece, meter it, sign the chat
 * text and an InferenceReceipt, and store the usage durably before the answer's last byte leaves.
 */
export class InferenceProxy {
  constructor(
    private readonly options: ProxyOptions,
    private readonly deps: ProxyDeps,
  ) {}

  /** The user a request's session token speaks for, checked against their sub-account (expiry, revocation). */
  async authenticate(req: IncomingMessage): Promise<{ user: Hex; account: BrokerAccount }> {
    const d = this.deps;
    const now = d.now();
    const { token, user } = d.tokens.verify(req.headers.authorization, now);
    // Before refusing, a copy at most a second old: the user may have just funded the account.
    const account = (await d.accounts.get(user)) ?? (await d.accounts.get(user, RECHECK_MS));
    if (!account) throw this.noAccount(user);
    checkSessionToken(token, { provider: d.provider, now, account });
    return { user, account };
  }

  async handle(req: IncomingMessage, res: ServerResponse, route: InferenceRoute): Promise<void> {
    const d = this.deps;
    const auth = await this.authenticate(req);
    const user = auth.user;
    let account = auth.account;

    const body = await readBody(req, this.options.maxBodyBytes);
    const json = parseBody(body);
    const maxTokens = maxTokensOf(json, this.options.defaultMaxTokens);
    const { inputPrice, outputPrice } = d.prices();
    // Tokens never outnumber the bytes they come from (byte-level and BPE tokenizers), so the body length bounds the
    // prompt from above.
    const required = BigInt(body.length) * inputPrice + BigInt(maxTokens) * outputPrice;
    if (this.available(account, user) < required) {
      const fresh = await d.accounts.get(user, RECHECK_MS);
      if (!fresh) throw this.noAccount(user);
      account = fresh;
      const available = this.available(account, user);
      if (available < required) throw this.cannotPay(user, account, available, required, body.length, maxTokens);
    }
    d.store.reserve(user, required);
    try {
      await this.forward(res, route, user, body, json);
    } finally {
      d.store.release(user, required);
    }
  }

  private available(a: BrokerAccount, user: Hex): bigint {
    const u = this.deps.store.of(user);
    return a.balance - a.pendingRefund - (u ? u.unsettled + u.reserved : 0n);
  }

  private async forward(
    res: ServerResponse,
    route: InferenceRoute,
    user: Hex,
    body: Uint8Array,
    json: Record<string, unknown>,
  ): Promise<void> {
    const d = this.deps;
    // One controller for both ways a request ends early: the client leaves, or the backend takes too long.
    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.on("close", onClose);
    const timer = setTimeout(() => abort.abort(), this.options.backendTimeoutMs);
    const done = () => {
      clearTimeout(timer);
      res.off("close", onClose);
    };
    let answer: Awaited<ReturnType<ModelBackend["handle"]>>;
    try {
      answer = await d.backend.handle({ route, body, json, stream: json.stream === true, signal: abort.signal });
    } catch (e) {
      done();
      if (e instanceof ComputeError) throw e;
      throw new ComputeError(
        { code: ComputeErrorCode.BACKEND_FAILED, detail: (e as Error).message },
        `the model backend failed: ${(e as Error).message}`,
      );
    }
    const headers: Record<string, string> = { "content-type": answer.contentType, provider: d.provider };
    try {
      if (answer.status < 200 || answer.status >= 300) {
        // Not billed, not signed: relayed as the backend said it.
        const bytes = await collect(answer.body);
        res.writeHead(answer.status, { ...headers, "content-length": String(bytes.length) });
        res.end(bytes);
        return;
      }
      const chatId = randomUUID();
      headers["zg-res-key"] = chatId;
      const stream = answer.contentType.includes("text/event-stream");
      const meter = new ResponseMeter(route, stream);
      const hash = createHash("sha256");
      if (!stream) {
        const bytes = await collect(answer.body);
        hash.update(bytes);
        const usage = meter.finishJSON(bytes, json);
        await this.bill(chatId, user, body, hash.digest(), usage);
        res.writeHead(answer.status, { ...headers, "content-length": String(bytes.length) });
        res.end(bytes);
        return;
      }
      res.writeHead(answer.status, { ...headers, "cache-control": "no-cache", "x-accel-buffering": "no" });
      res.flushHeaders();
      // Each piece goes out as it arrives, except the very last byte, which waits until the usage is durable.
      let held: Uint8Array | undefined;
      for await (const piece of answer.body) {
        if (piece.length === 0) continue;
        hash.update(piece);
        meter.push(piece);
        if (held) await writePiece(res, held);
        if (res.destroyed) throw new ComputeError({ code: ComputeErrorCode.STOPPED }, "the client went away");
        held = piece;
      }
      const usage = meter.finishStream(json);
      if (held && held.length > 1) await writePiece(res, held.subarray(0, held.length - 1));
      await this.bill(chatId, user, body, hash.digest(), usage);
      res.end(held ? held.subarray(held.length - 1) : ZERO);
    } finally {
      done();
      if (!res.writableFinished && res.headersSent) res.destroy();
    }
  }

  /** Signs the chat text and the receipt and stores the usage; resolves once it is durable. */
  private async bill(chatId: string, user: Hex, body: Uint8Array, responseHash: Uint8Array, usage: MeteredUsage): Promise<void> {
    const d = this.deps;
    const { inputPrice, outputPrice } = d.prices();
    const fee = BigInt(usage.promptTokens) * inputPrice + BigInt(usage.completionTokens) * outputPrice;
    const requestHash = createHash("sha256").update(body).digest();
    const createdAt = d.now();
    const receipt: InferenceReceipt = {
      user,
      provider: d.provider,
      requestHash,
      responseHash,
      inputTokens: BigInt(usage.promptTokens),
      outputTokens: BigInt(usage.completionTokens),
      fee,
      createdAt: BigInt(Math.floor(createdAt / 1000)),
    };
    const receiptDigest = inferenceReceiptDigest(receipt, d.domain);
    const text = chatSignatureTextOfHashes(requestHash, responseHash);
    const signatureJSON = JSON.stringify({
      text,
      signature: signChatText(text, d.signerKey),
      signing_address: d.signerAddress,
      signing_algo: "ecdsa",
      receipt: receiptToJSON(receipt),
      receipt_signature: bytesToHex(signDigest65(receiptDigest, d.signerKey)),
    });
    await d.store.append({ chatId, user, fee, receiptDigest, createdAt, signatureJSON });
    if (usage.estimated) d.logger.debug({ chatId, user }, "response carried no usage; billed the estimate");
    d.onBilled?.(fee, usage);
  }

  private noAccount(user: Hex): ComputeError {
    const p = this.deps.provider;
    return new ComputeError(
      { code: ComputeErrorCode.INSUFFICIENT_BALANCE, user, available: 0n, required: 0n },
      `${user} has no sub-account with provider ${p}; fund one from your ledger: \`zg compute ledger transfer ${p} <ZG>\` ` +
        "(LedgerManager.transferFund; at least 1 ZG the first time; `zg compute ledger deposit <ZG>` first if the ledger is short)",
    );
  }

  private cannotPay(
    user: Hex,
    a: BrokerAccount,
    available: bigint,
    required: bigint,
    promptBound: number,
    maxTokens: number,
  ): ComputeError {
    const p = this.deps.provider;
    const unsettled = this.deps.store.of(user);
    return new ComputeError(
      { code: ComputeErrorCode.INSUFFICIENT_BALANCE, user, available, required },
      `insufficient balance: the sub-account of ${user} with provider ${p} can still pay ${zg(available)} ZG ` +
        `(balance ${zg(a.balance)} − pending refund ${zg(a.pendingRefund)} − unsettled and in flight ` +
        `${zg(unsettled ? unsettled.unsettled + unsettled.reserved : 0n)}); this request may cost up to ${zg(required)} ZG ` +
        `(≤ ${promptBound} prompt tokens and max_tokens ${maxTokens}). Top up with \`zg compute ledger transfer ${p} <ZG>\` ` +
        "(LedgerManager.transferFund; `zg compute ledger deposit <ZG>` first if your ledger is short), or lower max_tokens",
    );
  }
}

function parseBody(body: Uint8Array): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.length).toString("utf8"));
  } catch {
    throw badRequest("the request body is not JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw badRequest("the request body is not a JSON object");
  if (typeof (json as Record<string, unknown>).model !== "string") throw badRequest("the request has no string `model`");
  return json as Record<string, unknown>;
}

function maxTokensOf(json: Record<string, unknown>, fallback: number): number {
  const v = json.max_tokens ?? json.max_completion_tokens;
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw badRequest("max_tokens must be a non-negative integer");
  return v;
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const p of body) {
    parts.push(p);
    size += p.length;
  }
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Wei as ZG with up to 6 decimals. */
export function zg(wei: bigint): string {
  const neg = wei < 0n;
  const a = neg ? -wei : wei;
  const whole = a / 10n ** 18n;
  const frac = ((a % 10n ** 18n) / 10n ** 12n).toString().padStart(6, "0").replace(/0+$/, "");
  return `${neg ? "-" : ""}${whole}${frac ? `.${frac}` : ""}`;
}

function badRequest(detail: string): ComputeError {
  return new ComputeError({ code: ComputeErrorCode.BAD_REQUEST, detail }, detail);
}
