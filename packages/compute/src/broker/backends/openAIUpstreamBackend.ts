import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { BackendModel, BackendRequest, BackendResponse, ModelBackend } from "../../backend.js";
import { ComputeError, ComputeErrorCode } from "../../errors.js";

export interface OpenAIUpstreamOptions {
  /** The upstream's OpenAI base URL, e.g. `http://127.0.0.1:8080/v1` (llama.cpp), `http://127.0.0.1:11434/v1` (Ollama). */
  baseUrl: string;
  /** The model id the broker advertises and registers. */
  model: string;
  /** JSON for the service's additionalInfo. */
  additionalInfo: Record<string, unknown>;
  /** Headers for the upstream only (e.g. its own `authorization`): 0G's `additionalSecret`. */
  headers: Record<string, string>;
  /**
   * Add `stream_options.include_usage = true` to streaming requests that lack it, so the last event carries `usage`
   * (vLLM, llama.cpp and OpenAI send none otherwise and the broker would bill an estimate). The upstream then gets a
   * re-serialised body, but what the broker hashes, signs and bills is still the user's exact bytes: the receipt's
   * requestHash is sha256 of what the user sent, and the response hash is over what the user receives.
   */
  injectStreamUsage: boolean;
  /** Connections kept open to the upstream. */
  maxSockets: number;
}

export const defaultOpenAIUpstreamOptions: OpenAIUpstreamOptions = {
  baseUrl: "http://127.0.0.1:8080/v1",
  model: "default",
  additionalInfo: {},
  headers: {},
  injectStreamUsage: true,
  maxSockets: 256,
};

/**
 * Any OpenAI-compatible server behind the broker. The user's body goes upstream byte for byte (see
 * `injectStreamUsage` for the one exception); none of the user's headers do — the upstream sees only
 * `content-type`, `accept` and the configured `headers`, so session tokens and billing headers never leave the
 * broker. The upstream's status, content type and bytes come back unchanged. Not re-executable, so
 * `verifiability` is "".
 */
export class OpenAIUpstreamBackend implements ModelBackend {
  readonly model: BackendModel;
  private readonly options: OpenAIUpstreamOptions;
  private readonly base: URL;
  private readonly agent: HttpAgent;

  constructor(options: Partial<OpenAIUpstreamOptions> & { baseUrl: string }) {
    this.options = { ...defaultOpenAIUpstreamOptions, ...options };
    this.base = new URL(this.options.baseUrl.replace(/\/+$/, ""));
    const agentOptions = { keepAlive: true, maxSockets: this.options.maxSockets };
    this.agent = this.base.protocol === "https:" ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
    this.model = { id: this.options.model, verifiability: "", additionalInfo: this.options.additionalInfo };
  }

  handle(req: BackendRequest): Promise<BackendResponse> {
    const body = this.upstreamBody(req);
    const url = new URL(`${this.base.pathname}/${req.route}`, this.base);
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const r = send(
        url,
        {
          method: "POST",
          agent: this.agent,
          signal: req.signal,
          headers: {
            ...this.options.headers,
            "content-type": "application/json",
            accept: req.stream ? "text/event-stream" : "application/json",
            "content-length": String(body.length),
          },
        },
        (res: IncomingMessage) =>
          resolve({
            status: res.statusCode ?? 502,
            contentType: res.headers["content-type"] ?? "application/octet-stream",
            body: pieces(res),
          }),
      );
      r.on("error", (e) =>
        reject(
          new ComputeError(
            { code: ComputeErrorCode.BACKEND_FAILED, detail: e.message },
            `the upstream at ${this.options.baseUrl} failed: ${e.message}`,
          ),
        ),
      );
      r.end(body);
    });
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  private upstreamBody(req: BackendRequest): Uint8Array {
    if (!req.stream || !this.options.injectStreamUsage) return req.body;
    const so = req.json.stream_options;
    if (typeof so === "object" && so !== null && (so as Record<string, unknown>).include_usage === true) return req.body;
    const streamOptions =
      typeof so === "object" && so !== null ? { ...(so as Record<string, unknown>), include_usage: true } : { include_usage: true };
    return new TextEncoder().encode(JSON.stringify({ ...req.json, stream_options: streamOptions }));
  }
}

async function* pieces(res: IncomingMessage): AsyncGenerator<Uint8Array> {
  for await (const chunk of res as AsyncIterable<Buffer>) yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
}
