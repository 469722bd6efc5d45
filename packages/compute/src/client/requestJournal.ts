import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { InferenceRoute } from "../backend.js";
import { ComputeError, ComputeErrorCode } from "../errors.js";

/**
 * One answered request as the user keeps it: the exact bytes both ways and what the provider signed over them. It is
 * what `zg compute verify` re-executes and what a dispute submits.
 */
export interface JournalRecord {
  chatId: string;
  provider: string;
  user: string;
  route: InferenceRoute;
  stream: boolean;
  requestBytes: Uint8Array;
  responseBytes: Uint8Array;
  /** `GET /v1/proxy/signature/:chatId` as the provider served it (text, signature, receipt, receipt_signature …). */
  signature: Record<string, unknown>;
  /** Unix ms when the answer was received. */
  receivedAt: number;
}

interface StoredRecord extends Omit<JournalRecord, "requestBytes" | "responseBytes"> {
  request: string;
  response: string;
}

const CHAT_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** A directory of records, one JSON file per chat id, written atomically. */
export class RequestJournal {
  constructor(readonly dir: string) {}

  save(r: JournalRecord): string {
    if (!CHAT_ID.test(r.chatId)) throw badChatId(r.chatId);
    mkdirSync(this.dir, { recursive: true });
    const { requestBytes, responseBytes, ...rest } = r;
    const stored: StoredRecord = {
      ...rest,
      request: Buffer.from(requestBytes).toString("base64"),
      response: Buffer.from(responseBytes).toString("base64"),
    };
    const path = join(this.dir, `${r.chatId}.json`);
    writeFileSync(`${path}.tmp`, `${JSON.stringify(stored, null, 2)}\n`);
    renameSync(`${path}.tmp`, path);
    return path;
  }

  get(chatId: string): JournalRecord {
    if (!CHAT_ID.test(chatId)) throw badChatId(chatId);
    const path = join(this.dir, `${chatId}.json`);
    if (!existsSync(path))
      throw new ComputeError({ code: ComputeErrorCode.NOT_FOUND, what: chatId }, `no request ${chatId} in ${this.dir}`);
    return RequestJournal.read(path);
  }

  /** Records, oldest first. */
  list(): JournalRecord[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith(".json"))
      .map((f) => RequestJournal.read(join(this.dir, f)))
      .sort((a, b) => a.receivedAt - b.receivedAt);
  }

  /** A record file, wherever it is. */
  static read(path: string): JournalRecord {
    let s: StoredRecord;
    try {
      s = JSON.parse(readFileSync(path, "utf8")) as StoredRecord;
    } catch (e) {
      throw new ComputeError(
        { code: ComputeErrorCode.BAD_REQUEST, detail: path },
        `${path} is not a request record: ${(e as Error).message}`,
      );
    }
    if (typeof s.request !== "string" || typeof s.response !== "string" || typeof s.chatId !== "string")
      throw new ComputeError(
        { code: ComputeErrorCode.BAD_REQUEST, detail: path },
        `${path} is not a request record (no chatId/request/response)`,
      );
    const { request, response, ...rest } = s;
    return {
      ...rest,
      requestBytes: new Uint8Array(Buffer.from(request, "base64")),
      responseBytes: new Uint8Array(Buffer.from(response, "base64")),
    };
  }
}

function badChatId(chatId: string): ComputeError {
  return new ComputeError({ code: ComputeErrorCode.BAD_REQUEST, detail: "chatId" }, `"${chatId}" is not a chat id`);
}
