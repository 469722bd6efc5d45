import type { InferenceRoute } from "../backend.js";
import { ComputeError, ComputeErrorCode } from "../errors.js";
import { type ChatMessage, type ChatRole, chatPromptTokens, completionPromptTokens } from "./chatTemplate.js";
import { DEFAULT_MAX_TOKENS, MAX_MESSAGES, MAX_PROMPT_TOKENS, MAX_STOP_BYTES, MAX_STOP_SEQUENCES, MAX_TOKENS_CAP } from "./limits.js";

/** A request the runtime will run: everything its answer depends on. */
export interface RuntimeRequest {
  route: InferenceRoute;
  stream: boolean;
  promptTokens: number[];
  maxTokens: number;
  temperature: number;
  topP: number;
  seed: number;
  stop: Uint8Array[];
}

const ROLES: Record<string, ChatRole> = { system: "system", developer: "system", user: "user", assistant: "assistant" };

/**
 * Checks an OpenAI `chat/completions` or `completions` body and turns it into a RuntimeRequest; anything the runtime
 * cannot honour exactly is refused (COMPUTE_BAD_REQUEST) rather than ignored. Fields with no effect on the answer
 * (`user`, `metadata`, `stream_options` …) are accepted and ignored.
 */
export function parseRuntimeRequest(route: InferenceRoute, json: Record<string, unknown>, modelId: string): RuntimeRequest {
  if (json.model !== modelId) refuse(`model ${JSON.stringify(json.model)} is not served here; this runtime serves "${modelId}"`);
  const promptTokens =
    route === "chat/completions" ? chatPromptTokens(parseMessages(json.messages)) : completionPromptTokens(parsePrompt(json.prompt));
  if (promptTokens.length > MAX_PROMPT_TOKENS)
    refuse(
      `the prompt is ${promptTokens.length} tokens (UTF-8 bytes plus template), more than the ${MAX_PROMPT_TOKENS} this runtime accepts`,
    );
  const maxTokens = optional(
    json.max_completion_tokens ?? json.max_tokens,
    DEFAULT_MAX_TOKENS,
    (v) => Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= MAX_TOKENS_CAP,
    `max_tokens must be an integer from 1 to ${MAX_TOKENS_CAP}`,
  );
  const temperature = optional(
    json.temperature,
    0,
    (v) => typeof v === "number" && v >= 0 && v <= 2,
    "temperature must be a number from 0 to 2",
  );
  const topP = optional(json.top_p, 1, (v) => typeof v === "number" && v > 0 && v <= 1, "top_p must be a number in (0, 1]");
  const seed = optional(json.seed, 0, (v) => Number.isSafeInteger(v), "seed must be an integer (at most 2^53 − 1 in magnitude)");
  const stream = optional(json.stream, false, (v) => typeof v === "boolean", "stream must be a boolean");
  unsupported(json, "n", 1);
  unsupported(json, "best_of", 1);
  unsupported(json, "presence_penalty", 0);
  unsupported(json, "frequency_penalty", 0);
  unsupported(json, "logprobs", false);
  unsupported(json, "echo", false);
  if (json.top_logprobs != null) refuse("top_logprobs is not supported by the built-in runtime");
  if (json.suffix != null) refuse("suffix is not supported by the built-in runtime");
  if (json.logit_bias != null && (typeof json.logit_bias !== "object" || Object.keys(json.logit_bias).length > 0))
    refuse("logit_bias is not supported by the built-in runtime");
  if (Array.isArray(json.tools) ? json.tools.length > 0 : json.tools != null) refuse("tools are not supported by the built-in runtime");
  if (json.functions != null) refuse("functions are not supported by the built-in runtime");
  const format = json.response_format as { type?: unknown } | null | undefined;
  if (format != null && format.type !== "text") refuse('response_format must be {"type": "text"}: the built-in runtime writes plain text');
  return { route, stream, promptTokens, maxTokens, temperature, topP, seed, stop: parseStop(json.stop) };
}

function parseMessages(v: unknown): ChatMessage[] {
  if (!Array.isArray(v) || v.length === 0) refuse("messages must be a non-empty array");
  if (v.length > MAX_MESSAGES) refuse(`at most ${MAX_MESSAGES} messages`);
  return v.map((m, i) => {
    if (typeof m !== "object" || m === null) refuse(`messages[${i}] must be an object`);
    const { role, content } = m as { role?: unknown; content?: unknown };
    const r = typeof role === "string" ? ROLES[role] : undefined;
    if (r === undefined) refuse(`messages[${i}].role must be "system", "developer", "user" or "assistant"`);
    return { role: r, content: parseContent(content, i) };
  });
}

function parseContent(content: unknown, i: number): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return refuse(`messages[${i}].content must be a string or an array of text parts`);
  return content
    .map((p, k) => {
      const part = p as { type?: unknown; text?: unknown } | null;
      if (part?.type !== "text" || typeof part.text !== "string")
        refuse(`messages[${i}].content[${k}] must be {"type": "text", "text": string}`);
      return part.text;
    })
    .join("");
}

function parsePrompt(v: unknown): string {
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === "string") return v[0];
  return refuse("prompt must be a string (or an array of exactly one string)");
}

function parseStop(v: unknown): Uint8Array[] {
  if (v == null) return [];
  const list = typeof v === "string" ? [v] : v;
  if (!Array.isArray(list) || list.length > MAX_STOP_SEQUENCES || !list.every((s) => typeof s === "string"))
    refuse(`stop must be a string or an array of at most ${MAX_STOP_SEQUENCES} strings`);
  const enc = new TextEncoder();
  return (list as string[]).map((s) => {
    const b = enc.encode(s);
    if (b.length === 0 || b.length > MAX_STOP_BYTES) refuse(`each stop sequence must be 1 to ${MAX_STOP_BYTES} bytes of UTF-8`);
    return b;
  });
}

function optional<T>(v: unknown, fallback: T, ok: (v: unknown) => boolean, message: string): T {
  if (v == null) return fallback;
  if (!ok(v)) refuse(message);
  return v as T;
}

function unsupported(json: Record<string, unknown>, field: string, only: unknown): void {
  if (json[field] != null && json[field] !== only)
    refuse(`${field} must be ${JSON.stringify(only)}: the built-in runtime supports nothing else`);
}

export function refuse(detail: string): never {
  throw new ComputeError({ code: ComputeErrorCode.BAD_REQUEST, detail }, detail);
}

/** A request body's bytes to its JSON object (for re-execution, where no broker has parsed it). */
export function parseRequestBody(body: Uint8Array): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    return refuse("the request body is not UTF-8 JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) refuse("the request body must be a JSON object");
  return json as Record<string, unknown>;
}
