import { type FileProof, fileProofFromJSON, fileProofToJSON } from "@zerog/core/merkle";
import { type Hex, isHex } from "viem";
import { base64ToBytes, bytesToBase64 } from "./base64.js";
import { abortedError, StorageClientError, StorageClientErrorCode } from "./errors.js";
import {
  fetchExchange,
  getDefaultHttpExchange,
  type HttpExchange,
  type HttpExchangeRequest,
  type HttpExchangeResponse,
} from "./httpExchange.js";
import { type Base64Place, parseRPCBody } from "./rpcBody.js";
import { decodeSegmentFrames, SEGMENTS_CONTENT_TYPE } from "./segmentFrames.js";
import type { FileInfo, NodeStatus, SegmentWithProof, SegmentWithProofJSON, ShardConfig } from "./types.js";
import { encodeSegmentsRequest } from "./uploadBody.js";

export interface StorageNodeClientOptions {
  /** Per-request timeout (default 60 s: a batch of segments can be several MiB). */
  timeoutMs?: number;
  /** A `fetch` to use instead of the global one (ignored when `exchange` is given). */
  fetch?: typeof fetch;
  /** How to make HTTP requests (default `getDefaultHttpExchange()`: `fetch`, or `node:http` after `@zerog/sdk/node`). */
  exchange?: HttpExchange;
  /**
   * Decode segment data straight from the response bytes (`parseRPCBody`) instead of JSON.parse + base64 of the text.
   * Default: on where there is no Node `Buffer` (browsers). In Node 20 it measured slower end to end: its CPU is lower
   * in isolation, but with no large strings on the heap V8 ran ~4x more mark-compacts over the response buffers.
   */
  fastParse?: boolean;
}

const hasNodeBuffer = typeof (globalThis as { Buffer?: unknown }).Buffer === "function";

export interface RequestOptions {
  signal?: AbortSignal | undefined;
  /** Memory for the response body (see `HttpExchangeRequest.allocate`); segments returned may live in it. */
  allocate?: ((size: number) => Uint8Array) | undefined;
}

/** JSON-RPC 2.0 client for one storage node's `zgs_` namespace (0G's shapes, reference §3). */
export class StorageNodeClient {
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly exchangeFn: HttpExchange;
  private readonly fastParse: boolean;
  private nextId = 1;
  /** The node answered a batch with one error (no batches, or a lower limit): ask one segment per request. */
  /** The node does not serve zerog's binary segments route (0G's own nodes). */
  private binaryRefused = false;
  private batchRefused = false;

  constructor(url: string, options: StorageNodeClientOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new StorageClientError(
        { code: StorageClientErrorCode.BAD_INPUT, param: "url" },
        `"${url}" is not a URL; give a storage node's HTTP URL such as http://127.0.0.1:5678`,
      );
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new StorageClientError(
        { code: StorageClientErrorCode.BAD_INPUT, param: "url" },
        `storage node URL ${url} must be http:// or https://`,
      );
    }
    this.url = url;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.exchangeFn = options.exchange ?? (options.fetch ? fetchExchange(options.fetch) : getDefaultHttpExchange());
    this.fastParse = options.fastParse ?? !hasNodeBuffer;
  }

  /** One JSON-RPC call; throws `NODE_UNREACHABLE` (network, HTTP status, timeout) or `NODE_RPC_ERROR`. */
  async request<T>(method: string, params: unknown[], options: RequestOptions = {}): Promise<T> {
    return this.send<T>(method, JSON.stringify({ jsonrpc: "2.0", id: this.nextId++, method, params }), options);
  }

  /** Posts a request body already encoded (`request` or `encodeSegmentsRequest`) and decodes the answer. */
  private async send<T>(
    method: string,
    body: string | Uint8Array,
    options: RequestOptions = {},
    place: Base64Place | null = null,
  ): Promise<T> {
    return this.unwrap<T>(method, await this.post(method, body, options, place));
  }

  /** One HTTP POST; the parsed body (see `parseRPCBody` for `place`). Throws `NODE_UNREACHABLE` when there is none. */
  private async post(method: string, body: string | Uint8Array, options: RequestOptions, place: Base64Place | null): Promise<unknown> {
    const init = { method: "POST", headers: { "content-type": "application/json" }, body } as const;
    const res = await this.exchange(method, new URL(this.url), init, options);
    // Bytes, not text: segment data is decoded from them without ever becoming a string (rpcBody.ts).
    if (res.ok || res.bytes[0] === 0x7b || res.bytes[0] === 0x5b) {
      try {
        return parseRPCBody(res.bytes, this.fastParse ? place : null);
      } catch (e) {
        throw this.unreachable(method, describeFetchError(e), undefined, e);
      }
    }
    const why = `HTTP ${res.status} ${new TextDecoder().decode(res.bytes.subarray(0, 200))}`.trim();
    throw this.unreachable(method, why, res.status);
  }

  /** One HTTP request and its whole body, under the client's timeout; throws `NODE_UNREACHABLE` when there is none. */
  private async exchange(
    method: string,
    url: URL,
    init: Omit<HttpExchangeRequest, "url" | "signal">,
    options: RequestOptions,
  ): Promise<HttpExchangeResponse & { ok: boolean }> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      const res = await this.exchangeFn({ ...init, url, signal, ...(options.allocate ? { allocate: options.allocate } : {}) });
      return { ...res, ok: res.status >= 200 && res.status < 300 };
    } catch (e) {
      if (options.signal?.aborted) throw abortedError();
      throw this.unreachable(method, timeout.aborted ? `no answer within ${this.timeoutMs} ms` : describeFetchError(e), undefined, e);
    }
  }

  private unreachable(method: string, why: string, status?: number, cause?: unknown): StorageClientError {
    return new StorageClientError(
      { code: StorageClientErrorCode.NODE_UNREACHABLE, url: this.url, method, ...(status === undefined ? {} : { status }) },
      `storage node ${this.url} did not answer ${method}: ${why}; check that the node is running and the URL is right`,
      { cause },
    );
  }

  /** The result of one JSON-RPC response object; throws `NODE_RPC_ERROR` for an error response. */
  private unwrap<T>(method: string, answer: unknown): T {
    if (typeof answer !== "object" || answer === null || Array.isArray(answer))
      throw this.badResponse(method, "the body is not a JSON-RPC response object");
    const a = answer as { result?: unknown; error?: { code: number; message: string; data?: unknown } };
    if (a.error) {
      const { code, message, data } = a.error;
      throw new StorageClientError(
        { code: StorageClientErrorCode.NODE_RPC_ERROR, url: this.url, method, rpcCode: code, rpcMessage: message, rpcData: data },
        `storage node ${this.url} rejected ${method}: ${message}${typeof data === "string" ? ` (${data})` : ""}`,
      );
    }
    if (!("result" in a)) throw this.badResponse(method, "the response has neither result nor error");
    return a.result as T;
  }

  async getStatus(options?: RequestOptions): Promise<NodeStatus> {
    const s = await this.request<NodeStatus>("zgs_getStatus", [], options);
    if (typeof s !== "object" || s === null || typeof s.networkIdentity !== "object")
      throw this.badResponse("zgs_getStatus", "not a Status object");
    return s;
  }

  async getShardConfig(options?: RequestOptions): Promise<ShardConfig> {
    const c = await this.request<ShardConfig>("zgs_getShardConfig", [], options);
    if (typeof c !== "object" || c === null || !Number.isInteger(c.shardId) || !Number.isInteger(c.numShard)) {
      throw this.badResponse("zgs_getShardConfig", "not a {shardId, numShard} object");
    }
    const { shardId, numShard } = c;
    if (numShard < 1 || (numShard & (numShard - 1)) !== 0 || shardId < 0 || shardId >= numShard) {
      throw this.badResponse(
        "zgs_getShardConfig",
        `shard ${shardId}/${numShard} is invalid (numShard must be a power of two above shardId)`,
      );
    }
    return { shardId, numShard };
  }

  /** The file with this root (finalized first); `needAvailable` skips pruned copies. Null if the node knows none. */
  async getFileInfo(root: Hex, needAvailable = false, options?: RequestOptions): Promise<FileInfo | null> {
    return this.checkFileInfo("zgs_getFileInfo", await this.request("zgs_getFileInfo", [root, needAvailable], options));
  }

  async getFileInfoByTxSeq(txSeq: number, options?: RequestOptions): Promise<FileInfo | null> {
    return this.checkFileInfo("zgs_getFileInfoByTxSeq", await this.request("zgs_getFileInfoByTxSeq", [txSeq], options));
  }

  async checkFileFinalized(txSeqOrRoot: number | Hex, options?: RequestOptions): Promise<boolean | null> {
    return this.request<boolean | null>("zgs_checkFileFinalized", [txSeqOrRoot], options);
  }

  /** Uploads segments of the file submitted as `txSeq`; the node skips segments it already has. */
  async uploadSegmentsByTxSeq(segments: readonly SegmentWithProof[], txSeq: number, options?: RequestOptions): Promise<void> {
    const method = "zgs_uploadSegmentsByTxSeq";
    await this.send(method, encodeSegmentsRequest(this.nextId++, method, segments, txSeq), options);
  }

  async uploadSegments(segments: readonly SegmentWithProof[], options?: RequestOptions): Promise<void> {
    const method = "zgs_uploadSegments";
    await this.send(method, encodeSegmentsRequest(this.nextId++, method, segments, null), options);
  }

  /** Segment `index` of the file `txSeq` with its proof, or null if the node does not have it. Not verified here. */
  async downloadSegmentWithProofByTxSeq(txSeq: number, index: number, options?: RequestOptions): Promise<SegmentWithProof | null> {
    const method = "zgs_downloadSegmentWithProofByTxSeq";
    return this.decodeSegment(method, await this.call(method, [txSeq, index], options, "result.data"));
  }

  /**
   * Several segments of file `txSeq` in one HTTP request (a JSON-RPC batch). Per index, in order: the segment (not
   * verified here), null if the node does not have it, or the error of that call. Throws when the request as a
   * whole fails (network, timeout). A node that refuses batches is asked one segment per request from then on.
   */
  async downloadSegmentsWithProofByTxSeq(
    txSeq: number,
    indices: readonly number[],
    options: RequestOptions = {},
  ): Promise<(SegmentWithProof | null | StorageClientError)[]> {
    const method = "zgs_downloadSegmentWithProofByTxSeq";
    if (!this.binaryRefused) {
      const binary = await this.downloadSegmentsBinary(txSeq, indices, options);
      if (binary) return binary;
    }
    if (indices.length === 1 || this.batchRefused)
      return this.oneByOne(indices, (i) => this.downloadSegmentWithProofByTxSeq(txSeq, i, options));
    const first = this.nextId;
    this.nextId += indices.length;
    const calls = indices.map((index, k) => JSON.stringify({ jsonrpc: "2.0", id: first + k, method, params: [txSeq, index] }));
    const answer = await this.post(method, `[${calls.join(",")}]`, options, "result.data");
    if (!Array.isArray(answer)) {
      // No batches, or a lower batch limit: the whole batch comes back as one error.
      if (typeof answer === "object" && answer !== null && "error" in answer) {
        this.batchRefused = true;
        return this.oneByOne(indices, (i) => this.downloadSegmentWithProofByTxSeq(txSeq, i, options));
      }
      throw this.badResponse(method, "a batch was answered with neither an array nor an error");
    }
    const byId = new Map<unknown, unknown>();
    for (const a of answer) if (typeof a === "object" && a !== null) byId.set((a as { id?: unknown }).id, a);
    return indices.map((index, k) => {
      const a = byId.get(first + k);
      if (a === undefined) return this.badResponse(method, `the batch answer lacks the response for segment ${index}`);
      try {
        return this.decodeSegment(method, this.unwrap(method, a));
      } catch (e) {
        if (e instanceof StorageClientError) return e;
        throw e;
      }
    });
  }

  /**
   * The same segments over zerog's binary route (`GET /zerog/v1/segments`, no JSON or base64 around the data); null
   * when the node does not serve it (0G's nodes), after which this client keeps to JSON-RPC.
   */
  private async downloadSegmentsBinary(
    txSeq: number,
    indices: readonly number[],
    options: RequestOptions,
  ): Promise<(SegmentWithProof | null | StorageClientError)[] | null> {
    const method = "zgs_downloadSegmentWithProofByTxSeq";
    const url = new URL(
      `zerog/v1/segments?txSeq=${txSeq}&indices=${indices.join(",")}`,
      this.url.endsWith("/") ? this.url : `${this.url}/`,
    );
    const res = await this.exchange(method, url, { method: "GET" }, options);
    if (res.status !== 200 || res.contentType !== SEGMENTS_CONTENT_TYPE) {
      this.binaryRefused = true;
      return null;
    }
    return decodeSegmentFrames(
      res.bytes,
      indices,
      (r) => this.decodeSegment(method, r),
      (why) => this.badResponse(method, why),
    );
  }

  private async oneByOne<T>(indices: readonly number[], call: (index: number) => Promise<T>): Promise<(T | StorageClientError)[]> {
    return Promise.all(
      indices.map((i) =>
        call(i).catch((e: unknown) => {
          if (e instanceof StorageClientError && e.code !== StorageClientErrorCode.ABORTED) return e;
          throw e;
        }),
      ),
    );
  }

  async downloadSegmentWithProof(root: Hex, index: number, options?: RequestOptions): Promise<SegmentWithProof | null> {
    const method = "zgs_downloadSegmentWithProof";
    return this.decodeSegment(method, await this.call(method, [root, index], options, "result.data"));
  }

  /** Raw chunks `[startChunk, endChunk)` of file `txSeq`, without proof: callers must not trust them. */
  async downloadSegmentByTxSeq(txSeq: number, startChunk: number, endChunk: number, options?: RequestOptions): Promise<Uint8Array | null> {
    const method = "zgs_downloadSegmentByTxSeq";
    const r = await this.call<string | Uint8Array | null>(method, [txSeq, startChunk, endChunk], options, "result");
    if (r === null) return null;
    const bytes = typeof r === "string" ? base64ToBytes(r) : r instanceof Uint8Array ? r : null;
    if (!bytes) throw this.badResponse(method, "data is not base64");
    return bytes;
  }

  async getFlowContext(options?: RequestOptions): Promise<{ flowRoot: Hex; flowLength: number }> {
    const r = await this.request<[Hex, number]>("zgs_getFlowContext", [], options);
    if (!Array.isArray(r) || r.length !== 2) throw this.badResponse("zgs_getFlowContext", "not a [flowRoot, flowLength] pair");
    return { flowRoot: r[0], flowLength: Number(r[1]) };
  }

  /** `request` whose large base64 strings at `place` may come back decoded. */
  private call<T>(method: string, params: unknown[], options: RequestOptions | undefined, place: Base64Place): Promise<T> {
    const body = JSON.stringify({ jsonrpc: "2.0", id: this.nextId++, method, params });
    return this.send<T>(method, body, options, place);
  }

  private checkFileInfo(method: string, r: unknown): FileInfo | null {
    if (r === null) return null;
    const info = r as FileInfo;
    const tx = (info as Partial<FileInfo>)?.tx;
    if (typeof info !== "object" || typeof info.finalized !== "boolean" || typeof tx !== "object" || tx === null) {
      throw this.badResponse(method, "not a FileInfo object");
    }
    if (
      !Number.isSafeInteger(tx.seq) ||
      !Number.isSafeInteger(tx.size) ||
      !Number.isSafeInteger(tx.startEntryIndex) ||
      !isHex(tx.dataMerkleRoot)
    ) {
      throw this.badResponse(method, "FileInfo.tx lacks seq, size, startEntryIndex or dataMerkleRoot");
    }
    return info;
  }

  private decodeSegment(method: string, r: unknown): SegmentWithProof | null {
    if (r === null) return null;
    const s = r as Omit<SegmentWithProofJSON, "data"> & { data: string | Uint8Array };
    const encoded = typeof s === "object" && (typeof s.data === "string" || s.data instanceof Uint8Array);
    if (!encoded || !Number.isSafeInteger(s.index) || !Number.isSafeInteger(s.fileSize)) {
      throw this.badResponse(method, "not a SegmentWithProof object");
    }
    const data = typeof s.data === "string" ? base64ToBytes(s.data) : s.data;
    if (!data) throw this.badResponse(method, "segment data is not base64");
    let proof: FileProof;
    try {
      proof = fileProofFromJSON(s.proof);
    } catch (e) {
      throw this.badResponse(method, `bad proof: ${(e as Error).message}`);
    }
    return { root: s.root, data, index: s.index, proof, fileSize: s.fileSize };
  }

  private badResponse(method: string, reason: string): StorageClientError {
    return new StorageClientError(
      { code: StorageClientErrorCode.NODE_BAD_RESPONSE, url: this.url, method, reason },
      `storage node ${this.url} answered ${method} with something unusable: ${reason}`,
    );
  }
}

export function toClients(nodes: readonly (string | StorageNodeClient)[]): StorageNodeClient[] {
  if (nodes.length === 0) {
    throw new StorageClientError(
      { code: StorageClientErrorCode.BAD_INPUT, param: "nodes" },
      "no storage nodes given; pass at least one storage node URL",
    );
  }
  return nodes.map((n) => (typeof n === "string" ? new StorageNodeClient(n) : n));
}

export function segmentToJSON(s: SegmentWithProof): SegmentWithProofJSON {
  return { root: s.root, data: bytesToBase64(s.data), index: s.index, proof: fileProofToJSON(s.proof), fileSize: s.fileSize };
}

function describeFetchError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ? `${e.message} (${cause.code})` : e.message;
}
