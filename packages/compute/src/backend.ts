/**
 * What the broker puts in front of: an OpenAI-compatible upstream (llama.cpp, vLLM, Ollama) or the built-in
 * deterministic runtime. The broker hands the backend the exact request bytes it received (after authentication) and
 * relays the exact bytes the backend produces; it signs and meters those bytes, so a backend must not depend on
 * anything but the request (and, for the runtime, its weights) to produce them.
 */
export type InferenceRoute = "chat/completions" | "completions";

export interface BackendRequest {
  route: InferenceRoute;
  /** The body as received from the user, byte for byte (the broker hashes these bytes). */
  body: Uint8Array;
  /** `body` parsed; the broker has checked it is a JSON object with a string `model`. */
  json: Record<string, unknown>;
  /** `json.stream === true`: the backend answers with `text/event-stream` (`data: {...}\n\n` … `data: [DONE]\n\n`). */
  stream: boolean;
  signal: AbortSignal;
}

export interface BackendResponse {
  /** HTTP status from the backend; the broker bills only 2xx answers. */
  status: number;
  contentType: string;
  /** The body in the pieces the backend produced them; the broker forwards each piece as it arrives. */
  body: AsyncIterable<Uint8Array>;
}

/** What a backend serves, as the broker advertises it in `/v1/proxy/models` and registers on chain. */
export interface BackendModel {
  id: string;
  /** `"OpML"` when a request can be re-executed bit-exactly (and so disputed); `""` otherwise. */
  verifiability: "OpML" | "";
  /** JSON for the service's `additionalInfo` (the runtime puts its weights hash here). */
  additionalInfo: Record<string, unknown>;
  /** Tokens generated when a request sets no `max_tokens`, if the backend knows (the broker's admission uses it). */
  defaultMaxTokens?: number;
}

export interface ModelBackend {
  readonly model: BackendModel;
  handle(req: BackendRequest): Promise<BackendResponse>;
  close(): Promise<void>;
}

/** Token counts the broker bills, taken from the response's `usage` (the last SSE chunk when streaming). */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
}
