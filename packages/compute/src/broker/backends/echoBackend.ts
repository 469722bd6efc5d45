import { createHash } from "node:crypto";
import type { BackendModel, BackendRequest, BackendResponse, InferenceRoute, ModelBackend } from "../../backend.js";

export interface EchoBackendOptions {
  model: string;
  /** Pause between streamed pieces (tests of streaming). */
  pieceDelayMs: number;
}

export const defaultEchoBackendOptions: EchoBackendOptions = { model: "echo", pieceDelayMs: 0 };

const enc = new TextEncoder();

/**
 * A trivial deterministic backend for tests and benchmarks: answers "echo: <last user message>" (or the prompt),
 * cut to max_tokens, where a token is a UTF-8 byte; usage = bytes of all message contents (prompt) and of the answer
 * (completion). The same request always gives the same bytes.
 */
export class EchoBackend implements ModelBackend {
  readonly model: BackendModel;
  private readonly options: EchoBackendOptions;

  constructor(options: Partial<EchoBackendOptions> = {}) {
    this.options = { ...defaultEchoBackendOptions, ...options };
    this.model = { id: this.options.model, verifiability: "", additionalInfo: { backend: "echo" } };
  }

  async handle(req: BackendRequest): Promise<BackendResponse> {
    const { prompt, answer, finish } = this.reply(req.route, req.json);
    const id = `${req.route === "completions" ? "cmpl" : "chatcmpl"}-${createHash("sha256").update(req.body).digest("hex").slice(0, 24)}`;
    const usage = { prompt_tokens: prompt, completion_tokens: enc.encode(answer).length, total_tokens: prompt + enc.encode(answer).length };
    const base = { id, created: 1_700_000_000, model: req.json.model };
    if (!req.stream) {
      const body =
        req.route === "chat/completions"
          ? {
              ...base,
              object: "chat.completion",
              choices: [{ index: 0, message: { role: "assistant", content: answer }, finish_reason: finish }],
              usage,
            }
          : { ...base, object: "text_completion", choices: [{ index: 0, text: answer, logprobs: null, finish_reason: finish }], usage };
      return { status: 200, contentType: "application/json", body: once(enc.encode(JSON.stringify(body))) };
    }
    return { status: 200, contentType: "text/event-stream", body: this.events(req, base, answer, finish, usage) };
  }

  async close(): Promise<void> {}

  private async *events(
    req: BackendRequest,
    base: Record<string, unknown>,
    answer: string,
    finish: string,
    usage: Record<string, number>,
  ): AsyncGenerator<Uint8Array> {
    const chat = req.route === "chat/completions";
    const object = chat ? "chat.completion.chunk" : "text_completion";
    const choice = (text: string, finishReason: string | null, first = false) =>
      chat
        ? { index: 0, delta: first ? { role: "assistant", content: text } : { content: text }, finish_reason: finishReason }
        : { index: 0, text, logprobs: null, finish_reason: finishReason };
    const event = (o: unknown) => enc.encode(`data: ${JSON.stringify(o)}\n\n`);
    const pieces = answer.match(/\S+\s*|\s+/g) ?? [];
    yield event({ ...base, object, choices: [choice("", null, true)] });
    for (const p of pieces) {
      if (req.signal.aborted) return;
      if (this.options.pieceDelayMs > 0) await new Promise((r) => setTimeout(r, this.options.pieceDelayMs));
      yield event({ ...base, object, choices: [choice(p, null)] });
    }
    yield event({ ...base, object, choices: [choice("", finish)] });
    yield event({ ...base, object, choices: [], usage });
    yield enc.encode("data: [DONE]\n\n");
  }

  private reply(route: InferenceRoute, json: Record<string, unknown>): { prompt: number; answer: string; finish: string } {
    let prompt = 0;
    let last = "";
    if (route === "chat/completions") {
      const messages = Array.isArray(json.messages) ? (json.messages as { content?: unknown }[]) : [];
      for (const m of messages) {
        const text = contentText(m?.content);
        prompt += enc.encode(text).length;
        last = text;
      }
    } else {
      last = typeof json.prompt === "string" ? json.prompt : "";
      prompt = enc.encode(last).length;
    }
    let answer = `echo: ${last}`;
    let finish = "stop";
    const max = json.max_tokens ?? json.max_completion_tokens;
    if (typeof max === "number" && enc.encode(answer).length > max) {
      const bytes = enc.encode(answer).subarray(0, max);
      answer = new TextDecoder().decode(bytes).replace(/\uFFFD$/, "");
      finish = "length";
    }
    return { prompt, answer, finish };
  }
}

function contentText(c: unknown): string {
  if (typeof c === "string") return c;
  if (Array.isArray(c)) return c.map((p) => (typeof p?.text === "string" ? p.text : "")).join("");
  return "";
}

async function* once(b: Uint8Array): AsyncGenerator<Uint8Array> {
  yield b;
}
