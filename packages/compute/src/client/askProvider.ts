import type { InferenceRoute } from "../backend.js";
import { ComputeError, ComputeErrorCode } from "../errors.js";

export interface AskParameters {
  /** The provider broker's base URL (`Service.url`); requests go to `${url}/v1/proxy/${route}`. */
  url: string;
  /** `Bearer app-sk-…`. */
  authorization: string;
  route?: InferenceRoute;
  /** The OpenAI request body; its JSON text is the exact bytes sent, signed and billed. */
  body: Record<string, unknown>;
  /** Called with each piece of generated text as it arrives (streaming), or once with all of it. */
  onText?: (text: string) => void;
  signal?: AbortSignal;
}

export interface AskReturnType {
  /** `ZG-Res-Key` of the answer: the key of its signature at `/v1/proxy/signature/:chatId`. */
  chatId: string;
  route: InferenceRoute;
  stream: boolean;
  /** Exactly the bytes sent and received: what the provider's signatures hash. */
  requestBytes: Uint8Array;
  responseBytes: Uint8Array;
  text: string;
  finishReason: string | null;
  usage: { promptTokens: number; completionTokens: number } | null;
}

/**
 * Sends one inference request to a provider and reads the whole answer, keeping its exact bytes; with
 * `body.stream === true` the text is handed to `onText` as the Server-Sent Events arrive.
 */
export async function askProvider(p: AskParameters): Promise<AskReturnType> {
  const route = p.route ?? "chat/completions";
  const stream = p.body.stream === true;
  const requestBytes = new TextEncoder().encode(JSON.stringify(p.body));
  let res: Response;
  try {
    res = await fetch(`${p.url.replace(/\/+$/, "")}/v1/proxy/${route}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: p.authorization },
      body: requestBytes,
      ...(p.signal ? { signal: p.signal } : {}),
    });
  } catch (e) {
    throw new ComputeError(
      { code: ComputeErrorCode.BACKEND_FAILED, detail: `unreachable: ${p.url}` },
      `cannot reach the provider at ${p.url}: ${(e as Error).message}`,
    );
  }
  if (!res.ok) throw await providerRefused(res);
  const chatId = res.headers.get("zg-res-key");
  const parts: Uint8Array[] = [];
  const sse = stream ? new SSEText(route, p.onText) : null;
  const reader = res.body?.getReader();
  for (;;) {
    const chunk = reader ? await reader.read() : { done: true as const, value: undefined };
    if (chunk.done) break;
    parts.push(chunk.value);
    sse?.push(chunk.value);
  }
  const responseBytes = concat(parts);
  const parsed = sse ? sse.result() : parseJSONAnswer(route, responseBytes);
  if (!sse) p.onText?.(parsed.text);
  if (!chatId)
    throw new ComputeError(
      { code: ComputeErrorCode.VERIFICATION_FAILED, detail: "no ZG-Res-Key" },
      "the provider's answer has no ZG-Res-Key header",
    );
  return { chatId, route, stream, requestBytes, responseBytes, ...parsed };
}

type Parsed = Pick<AskReturnType, "text" | "finishReason" | "usage">;

function parseJSONAnswer(route: InferenceRoute, bytes: Uint8Array): Parsed {
  let j: { choices?: { message?: { content?: unknown }; text?: unknown; finish_reason?: unknown }[]; usage?: unknown };
  try {
    j = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ComputeError({ code: ComputeErrorCode.BACKEND_FAILED, detail: "not JSON" }, "the provider's answer is not JSON");
  }
  const c = j.choices?.[0];
  const text = route === "chat/completions" ? c?.message?.content : c?.text;
  return {
    text: typeof text === "string" ? text : "",
    finishReason: typeof c?.finish_reason === "string" ? c.finish_reason : null,
    usage: usageOf(j.usage),
  };
}

/** Incremental `data: {…}\n\n` parser that collects the text, the finish reason and the usage chunk. */
class SSEText {
  private buffered = "";
  private readonly decoder = new TextDecoder();
  private text = "";
  private finishReason: string | null = null;
  private usage: Parsed["usage"] = null;

  constructor(
    private readonly route: InferenceRoute,
    private readonly onText: ((t: string) => void) | undefined,
  ) {}

  push(bytes: Uint8Array): void {
    this.buffered += this.decoder.decode(bytes, { stream: true });
    for (let end = this.buffered.indexOf("\n\n"); end >= 0; end = this.buffered.indexOf("\n\n")) {
      const event = this.buffered.slice(0, end);
      this.buffered = this.buffered.slice(end + 2);
      for (const line of event.split("\n")) if (line.startsWith("data:")) this.data(line.slice(5).trim());
    }
  }

  result(): Parsed {
    return { text: this.text, finishReason: this.finishReason, usage: this.usage };
  }

  private data(payload: string): void {
    if (payload === "[DONE]" || payload === "") return;
    let j: { choices?: { delta?: { content?: unknown }; text?: unknown; finish_reason?: unknown }[]; usage?: unknown };
    try {
      j = JSON.parse(payload);
    } catch {
      return;
    }
    const c = j.choices?.[0];
    const piece = this.route === "chat/completions" ? c?.delta?.content : c?.text;
    if (typeof piece === "string" && piece.length > 0) {
      this.text += piece;
      this.onText?.(piece);
    }
    if (typeof c?.finish_reason === "string") this.finishReason = c.finish_reason;
    this.usage = usageOf(j.usage) ?? this.usage;
  }
}

function usageOf(u: unknown): Parsed["usage"] {
  if (typeof u !== "object" || u === null) return null;
  const { prompt_tokens: p, completion_tokens: c } = u as { prompt_tokens?: unknown; completion_tokens?: unknown };
  return typeof p === "number" && typeof c === "number" ? { promptTokens: p, completionTokens: c } : null;
}

async function providerRefused(res: Response): Promise<ComputeError> {
  const body = await res.text().catch(() => "");
  let message = body.slice(0, 500);
  try {
    const j = JSON.parse(body) as { error?: { message?: unknown } };
    if (typeof j.error?.message === "string") message = j.error.message;
  } catch {}
  return new ComputeError(
    { code: ComputeErrorCode.PROVIDER_REFUSED, status: res.status, message },
    `the provider refused the request (HTTP ${res.status}): ${message}`,
  );
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
