import { bytesToHex, sha256 } from "@zerog/core";
import type { InferenceRoute } from "../backend.js";
import { CompletionText } from "./completionText.js";
import { type FinishReason, generate } from "./generate.js";
import type { IntModel } from "./model.js";
import type { RuntimeRequest } from "./request.js";

/** What an answer says, whatever its encoding (JSON or SSE): what a verifier compares. */
export interface CompletionContent {
  text: string;
  finishReason: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
}

/** Everything in a response besides the request and the weights. */
export interface ResponseMeta {
  id: string;
  created: number;
  model: string;
  fingerprint: string;
}

/** `chatcmpl-`/`cmpl-` and the first 24 hex digits of sha256(body): the same request always has the same id. */
export function completionId(route: InferenceRoute, body: Uint8Array): string {
  return `${route === "chat/completions" ? "chatcmpl" : "cmpl"}-${bytesToHex(sha256(body)).slice(2, 26)}`;
}

/** SSE content chunks go out at whitespace or every 16 characters: deterministic, not timed. */
const CHUNK_CHARS = 16;
/** Every this many tokens an empty piece is yielded: not sent, but a point where the caller may let others run. */
const CHECKPOINT_TOKENS = 32;
const enc = new TextEncoder();
const EMPTY = new Uint8Array(0);

/**
 * Runs the request and yields the response body in the pieces it is sent in: one JSON document, or the SSE events
 * (a role chunk for chat, content chunks, a last chunk with `finish_reason` and `usage`, `data: [DONE]`). Empty pieces
 * are checkpoints (skip them). Returns what the answer says.
 */
export function* completionPieces(model: IntModel, req: RuntimeRequest, meta: ResponseMeta): Generator<Uint8Array, CompletionContent> {
  const chat = req.route === "chat/completions";
  const text = new CompletionText(req.stop);
  const tokens = generate(model, req.promptTokens, req);
  const head = { id: meta.id, object: chat ? "chat.completion.chunk" : "text_completion", created: meta.created, model: meta.model };
  const event = (choice: Record<string, unknown>, extra: Record<string, unknown> = {}): Uint8Array =>
    enc.encode(
      `data: ${JSON.stringify({ ...head, system_fingerprint: meta.fingerprint, choices: [{ index: 0, ...choice }], ...extra })}\n\n`,
    );
  const piece = (content: string, finish: FinishReason | null = null): Record<string, unknown> =>
    chat && finish === null
      ? { delta: { content }, logprobs: null, finish_reason: null }
      : chat
        ? { delta: {}, logprobs: null, finish_reason: finish }
        : { text: content, logprobs: null, finish_reason: finish };

  if (req.stream && chat) yield event({ delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null });
  let all = "";
  let pending = "";
  let step = tokens.next();
  while (step.done !== true) {
    pending += text.push(step.value);
    if (req.stream && pending.length > 0 && (pending.length >= CHUNK_CHARS || /\s$/.test(pending))) {
      yield event(piece(pending));
      all += pending;
      pending = "";
    }
    if (text.tokens % CHECKPOINT_TOKENS === 0) yield EMPTY;
    step = tokens.next();
  }
  const finishReason = step.value;
  pending += text.finish();
  all += pending;
  const usage = {
    prompt_tokens: req.promptTokens.length,
    completion_tokens: text.tokens,
    total_tokens: req.promptTokens.length + text.tokens,
  };
  const content: CompletionContent = {
    text: all,
    finishReason,
    promptTokens: usage.prompt_tokens,
    completionTokens: usage.completion_tokens,
  };
  if (!req.stream) {
    const choice = chat
      ? { index: 0, message: { role: "assistant", content: all }, logprobs: null, finish_reason: finishReason }
      : { text: all, index: 0, logprobs: null, finish_reason: finishReason };
    const object = chat ? "chat.completion" : "text_completion";
    yield enc.encode(JSON.stringify({ ...head, object, system_fingerprint: meta.fingerprint, choices: [choice], usage }));
    return content;
  }
  if (pending.length > 0) yield event(piece(pending));
  yield event(piece("", finishReason), { usage });
  yield enc.encode("data: [DONE]\n\n");
  return content;
}
