import { ASSISTANT, EOT, SYSTEM, USER } from "./tokens.js";

export type ChatRole = "system" | "user" | "assistant";

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

const ROLE_TOKEN: Record<ChatRole, number> = { system: SYSTEM, user: USER, assistant: ASSISTANT };

/**
 * The chat template: each message is its role's special token, its content as UTF-8 bytes, then end-of-text; the
 * prompt ends with the assistant token, and the answer runs until the model writes end-of-text.
 *
 *     <|system|>You are terse.<|endoftext|><|user|>Hi<|endoftext|><|assistant|>
 *
 * (`<|…|>` are single tokens 256–259, which no content can contain: content is only ever bytes.) The training corpus
 * writes its conversations in exactly this form.
 */
export function chatPromptTokens(messages: readonly ChatMessage[]): number[] {
  const out: number[] = [];
  const enc = new TextEncoder();
  for (const m of messages) {
    out.push(ROLE_TOKEN[m.role]);
    for (const b of enc.encode(m.content)) out.push(b);
    out.push(EOT);
  }
  out.push(ASSISTANT);
  return out;
}

/** A plain completion's prompt: its UTF-8 bytes, continuing as if a document started there. */
export function completionPromptTokens(prompt: string): number[] {
  return Array.from(new TextEncoder().encode(prompt));
}
