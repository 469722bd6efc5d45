import type { BackendModel, BackendRequest, BackendResponse, ModelBackend } from "../backend.js";
import { DEFAULT_MAX_TOKENS, MAX_PROMPT_TOKENS, MAX_TOKENS_CAP, RUNTIME_ID } from "./limits.js";
import type { IntModel } from "./model.js";
import { parseRuntimeRequest, type RuntimeRequest } from "./request.js";
import { completionId, completionPieces, type ResponseMeta } from "./response.js";
import { RuntimePool } from "./runtimePool.js";

export interface RuntimeBackendOptions {
  /** Threads that generate answers; 0 generates on the calling thread, letting other work run every 32 tokens. */
  workers: number;
}

export const defaultRuntimeBackendOptions: RuntimeBackendOptions = { workers: 0 };

export interface RuntimeBackendDeps {
  model: IntModel;
  /** Unix seconds: the response's `created`, the only thing in its bytes besides the request and the weights. */
  now: () => number;
  /** The thread script; tests point it at the built `dist/runtime/runtimeWorker.js`. */
  workerUrl?: URL;
}

/**
 * The built-in deterministic model behind the broker: OpenAI `chat/completions` and `completions`, JSON or SSE.
 * A bad body is refused by `handle` throwing COMPUTE_BAD_REQUEST before any byte is produced.
 */
export class RuntimeBackend implements ModelBackend {
  readonly model: BackendModel;
  private readonly options: RuntimeBackendOptions;
  private readonly pool: RuntimePool | null;
  private started: Promise<void> | null = null;

  constructor(
    options: Partial<RuntimeBackendOptions>,
    private readonly deps: RuntimeBackendDeps,
  ) {
    this.options = { ...defaultRuntimeBackendOptions, ...options };
    const m = deps.model;
    this.model = {
      id: m.name,
      verifiability: "OpML",
      defaultMaxTokens: DEFAULT_MAX_TOKENS,
      additionalInfo: {
        weights: `sha256:${m.sha256}`,
        runtime: RUNTIME_ID,
        arch: m.config.arch,
        maxPromptTokens: MAX_PROMPT_TOKENS,
        maxTokens: MAX_TOKENS_CAP,
        tokenizer: "utf-8 bytes",
      },
    };
    this.pool =
      this.options.workers > 0
        ? new RuntimePool(this.options.workers, m, deps.workerUrl ?? new URL("./runtimeWorker.js", import.meta.url))
        : null;
  }

  /** Starts the worker threads (also done by the first request). */
  start(): Promise<void> {
    this.started ??= this.pool?.start() ?? Promise.resolve();
    return this.started;
  }

  async handle(req: BackendRequest): Promise<BackendResponse> {
    const parsed = parseRuntimeRequest(req.route, req.json, this.model.id);
    const meta: ResponseMeta = {
      id: completionId(req.route, req.body),
      created: Math.floor(this.deps.now()),
      model: this.model.id,
      fingerprint: `fp_${this.deps.model.sha256.slice(0, 12)}`,
    };
    if (this.pool) await this.start();
    const body = this.pool ? this.pool.run(parsed, meta, req.signal) : runHere(this.deps.model, parsed, meta, req.signal);
    return { status: 200, contentType: parsed.stream ? "text/event-stream" : "application/json", body };
  }

  async close(): Promise<void> {
    await this.pool?.stop();
  }
}

async function* runHere(model: IntModel, req: RuntimeRequest, meta: ResponseMeta, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  for (const piece of completionPieces(model, req, meta)) {
    if (signal.aborted) return;
    if (piece.length > 0) yield piece;
    else await new Promise((resolve) => setImmediate(resolve));
  }
}
