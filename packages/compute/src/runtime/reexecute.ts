import type { InferenceRoute } from "../backend.js";
import { ComputeError, ComputeErrorCode } from "../errors.js";
import type { IntModel } from "./model.js";
import { parseRequestBody, parseRuntimeRequest } from "./request.js";
import { type CompletionContent, completionPieces } from "./response.js";

/**
 * What a response's bytes say (JSON or SSE): the text, the finish reason and the token counts. Throws
 * COMPUTE_VERIFICATION_FAILED when the bytes are not a completion of that route.
 */
export function completionContent(route: InferenceRoute, stream: boolean, responseBytes: Uint8Array): CompletionContent {
  const chat = route === "chat/completions";
  let raw: string;
  try {
    raw = new TextDecoder("utf-8", { fatal: true }).decode(responseBytes);
  } catch {
    return unreadable("the response is not UTF-8");
  }
  const out: CompletionContent = { text: "", finishReason: null, promptTokens: null, completionTokens: null };
  const take = (o: unknown, delta: boolean): void => {
    const { choices, usage } = (o ?? {}) as { choices?: unknown; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null };
    if (!Array.isArray(choices)) unreadable("a completion without choices");
    const c = choices[0] as
      | { message?: { content?: unknown }; delta?: { content?: unknown }; text?: unknown; finish_reason?: unknown }
      | undefined;
    const text = chat ? (delta ? c?.delta?.content : c?.message?.content) : c?.text;
    if (typeof text === "string") out.text += text;
    // Only a chat stream has chunks without text (its last one, `delta: {}`).
    else if (!(chat && delta && text === undefined)) unreadable("a choice without its text");
    if (typeof c?.finish_reason === "string") out.finishReason = c.finish_reason;
    if (usage) {
      if (typeof usage.prompt_tokens === "number") out.promptTokens = usage.prompt_tokens;
      if (typeof usage.completion_tokens === "number") out.completionTokens = usage.completion_tokens;
    }
  };
  if (!stream) {
    take(parse(raw), false);
    return out;
  }
  if (!raw.endsWith("data: [DONE]\n\n")) unreadable("the event stream does not end with data: [DONE]");
  for (const event of raw.split("\n\n")) {
    if (event === "" || event === "data: [DONE]") continue;
    if (!event.startsWith("data: ")) unreadable("an event that is not a data line");
    take(parse(event.slice(6)), true);
  }
  return out;
}

/** Runs the request again from its exact bytes: what a correct response to it says. */
export function reexecute(model: IntModel, route: InferenceRoute, requestBytes: Uint8Array): CompletionContent {
  const req = parseRuntimeRequest(route, parseRequestBody(requestBytes), model.name);
  const pieces = completionPieces(model, req, { id: "", created: 0, model: model.name, fingerprint: "" });
  for (let step = pieces.next(); ; step = pieces.next()) if (step.done === true) return step.value;
}

export interface CompletionComparison {
  equal: boolean;
  /** One line per field that differs, e.g. `text differs at character 12: "…" vs "…"`. */
  differences: string[];
}

/** Compares what a response says with what re-execution says (`id` and `created` are not part of either). */
export function compareCompletion(expected: CompletionContent, actual: CompletionContent): CompletionComparison {
  const differences: string[] = [];
  if (expected.text !== actual.text) {
    let i = 0;
    while (i < expected.text.length && expected.text[i] === actual.text[i]) i++;
    const at = (s: string): string => JSON.stringify(s.slice(i, i + 24));
    differences.push(`text differs at character ${i}: expected ${at(expected.text)}, got ${at(actual.text)}`);
  }
  for (const k of ["finishReason", "promptTokens", "completionTokens"] as const)
    if (expected[k] !== actual[k]) differences.push(`${k}: expected ${String(expected[k])}, got ${String(actual[k])}`);
  return { equal: differences.length === 0, differences };
}

function parse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return unreadable("a JSON document does not parse");
  }
}

function unreadable(detail: string): never {
  throw new ComputeError({ code: ComputeErrorCode.VERIFICATION_FAILED, detail }, `not a readable completion: ${detail}`);
}
