import type { InferenceRoute, Usage } from "../backend.js";

export interface MeteredUsage extends Usage {
  /** True when the response carried no `usage` and the counts are the fallback estimate. */
  estimated: boolean;
}

/**
 * Reads the token counts the broker bills from a response as it passes: the `usage` object of a JSON body, or of the
 * last Server-Sent Event that carries one. Without it, the fallback estimate is 0G's rule of thumb, one token per four
 * characters, of the prompt (messages or prompt as JSON) and of the generated text.
 */
export class ResponseMeter {
  private usage: Usage | null = null;
  private text = 0;
  private sse = "";
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly route: InferenceRoute,
    private readonly stream: boolean,
  ) {}

  /** A piece of an event stream (JSON bodies are read whole by `finishJSON`). */
  push(piece: Uint8Array): void {
    if (!this.stream) return;
    this.sse += this.decoder.decode(piece, { stream: true });
    let nl = this.sse.indexOf("\n");
    while (nl >= 0) {
      const line = this.sse.slice(0, nl);
      this.sse = this.sse.slice(nl + 1);
      if (line.startsWith("data:")) this.event(line.slice(5).trim());
      nl = this.sse.indexOf("\n");
    }
  }

  /** The usage of a streamed response, after the last piece. */
  finishStream(request: Record<string, unknown>): MeteredUsage {
    if (this.sse.startsWith("data:")) this.event(this.sse.slice(5).trim());
    this.sse = "";
    return this.result(request);
  }

  /** The usage of a whole JSON response. */
  finishJSON(body: Uint8Array, request: Record<string, unknown>): MeteredUsage {
    try {
      const j = JSON.parse(this.decoder.decode(body)) as Record<string, unknown>;
      this.usage = usageOf(j.usage);
      if (!this.usage) this.text += generatedText(this.route, j, false).length;
    } catch {
      this.text += body.length;
    }
    return this.result(request);
  }

  private event(payload: string): void {
    if (payload === "" || payload === "[DONE]") return;
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(payload) as Record<string, unknown>;
    } catch {
      return;
    }
    this.usage = usageOf(j.usage) ?? this.usage;
    this.text += generatedText(this.route, j, true).length;
  }

  private result(request: Record<string, unknown>): MeteredUsage {
    if (this.usage) return { ...this.usage, estimated: false };
    const prompt = JSON.stringify(this.route === "chat/completions" ? (request.messages ?? "") : (request.prompt ?? "")) ?? "";
    return { promptTokens: Math.ceil(prompt.length / 4), completionTokens: Math.ceil(this.text / 4), estimated: true };
  }
}

function usageOf(u: unknown): Usage | null {
  if (typeof u !== "object" || u === null) return null;
  const { prompt_tokens: p, completion_tokens: c } = u as Record<string, unknown>;
  const ok = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
  return ok(p) && ok(c) ? { promptTokens: p, completionTokens: c } : null;
}

function generatedText(route: InferenceRoute, j: Record<string, unknown>, delta: boolean): string {
  const choices = Array.isArray(j.choices) ? (j.choices as Record<string, unknown>[]) : [];
  let out = "";
  for (const c of choices) {
    const v = route === "completions" ? c.text : ((delta ? c.delta : c.message) as Record<string, unknown> | undefined)?.content;
    if (typeof v === "string") out += v;
  }
  return out;
}
