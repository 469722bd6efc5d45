/** Request limits of the runtime (protocol constants: a verifier must apply the same ones). */

/** Prompts longer than this many tokens (bytes plus template tokens) are refused, not truncated: all of them count. */
export const MAX_PROMPT_TOKENS = 32768;
/** `max_tokens` when the request gives none. */
export const DEFAULT_MAX_TOKENS = 256;
/** The largest `max_tokens` accepted. */
export const MAX_TOKENS_CAP = 4096;
/** At most this many stop sequences (OpenAI's limit), each at most MAX_STOP_BYTES long. */
export const MAX_STOP_SEQUENCES = 4;
export const MAX_STOP_BYTES = 64;
/** At most this many chat messages. */
export const MAX_MESSAGES = 1024;
/** The runtime's name in `additionalInfo` and `system_fingerprint`: the arithmetic, not the weights. */
export const RUNTIME_ID = "zerog-int-v1";
