import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  bytesToHex,
  type Durability,
  type Hex,
  type KVStore,
  LMDBStore,
  type Logger,
  type Metrics,
  privateKeyToAddressBytes,
} from "@zerog/core";
import type { InferenceRoute, ModelBackend } from "../backend.js";
import { type InferenceEip712Domain, inferenceEip712Domain } from "../client/inferenceTypedData.js";
import { lockDataDir } from "../dataDir.js";
import { ComputeError, ComputeErrorCode } from "../errors.js";
import { AccountCache } from "./accountCache.js";
import type { BrokerChain, BrokerService } from "./brokerChain.js";
import { httpErrorOf, sendError, sendJSON, sendRawJSON } from "./http.js";
import { InferenceProxy } from "./proxy.js";
import { syncService } from "./serviceSync.js";
import { defaultSettlementOptions, type SettlementOptions, Settler, type SettleSummary } from "./settler.js";
import { TokenCache } from "./tokenCache.js";
import { UsageStore } from "./usageStore.js";

export interface BrokerOptions {
  host: string;
  /** 0 = any free port (see `url` after start). */
  port: number;
  /** LMDB store and LOCK file. */
  dataDir: string;
  /** The broker's public URL, registered as `Service.url`; "" = `http://host:port`. */
  url: string;
  serviceType: string;
  /** Wei per prompt token, registered on chain. */
  inputPrice: bigint;
  /** Wei per completion token. */
  outputPrice: bigint;
  /** Register or update the service on chain at start when it differs (0G's SyncService). */
  syncService: boolean;
  /** Stake sent with the first registration (InferenceServing's MIN_PROVIDER_STAKE is 100 ZG). */
  stakeWei: bigint;
  maxBodyBytes: number;
  /** max_tokens assumed by admission when a request sets none and the backend does not say its default. */
  defaultMaxTokens: number;
  /** How long a sub-account read from the chain is trusted. */
  accountCacheMs: number;
  /** Verified session tokens kept (keyed by the Authorization header). */
  tokenCacheSize: number;
  /** Longest a backend may take for one request (streaming included). */
  backendTimeoutMs: number;
  /** LMDB durability: "process" survives a killed process, "fsync" a power cut (slower). */
  durability: Durability;
  /** Settled signature records are kept this long for `/v1/proxy/signature/:chatId`. */
  signatureRetentionMs: number;
  settlement: SettlementOptions;
}

export const defaultBrokerOptions: BrokerOptions = {
  host: "127.0.0.1",
  port: 3080,
  dataDir: ".zerog/compute-broker",
  url: "",
  serviceType: "chatbot",
  inputPrice: 100_000_000_000n,
  outputPrice: 400_000_000_000n,
  syncService: true,
  stakeWei: 100n * 10n ** 18n,
  maxBodyBytes: 1 << 20,
  defaultMaxTokens: 1024,
  accountCacheMs: 3_000,
  tokenCacheSize: 10_000,
  backendTimeoutMs: 600_000,
  durability: "process",
  signatureRetentionMs: 7 * 86_400_000,
  settlement: defaultSettlementOptions,
};

export interface BrokerDeps {
  chain: BrokerChain;
  backend: ModelBackend;
  /** Signs chat texts, receipts and settlements: the service's `teeSignerAddress`. */
  signerKey: Uint8Array;
  logger: Logger;
  metrics?: Metrics | null;
  /** Aborting it stops the broker. */
  signal?: AbortSignal;
  /** Clock (tests). */
  now?: () => number;
}

const PROXY = "/v1/proxy/";

/**
 * The provider broker: an OpenAI-compatible HTTP front (`/v1/proxy/…`) that authenticates 0G session tokens, admits
 * requests the user's sub-account can pay, meters and signs every answer, stores the usage durably, and settles it on
 * chain in batches (`Settler`).
 */
export class Broker {
  readonly options: BrokerOptions;
  readonly signerAddress: Hex;
  private readonly log: Logger;
  private readonly now: () => number;
  private server: Server | undefined;
  private db: KVStore | undefined;
  private store: UsageStore | undefined;
  private settler: Settler | undefined;
  private proxy: InferenceProxy | undefined;
  private release: (() => void) | undefined;
  private service: BrokerService | undefined;
  private domain: InferenceEip712Domain;
  private pruneTimer: NodeJS.Timeout | undefined;
  private ready = false;
  private stopped = false;
  private readonly onAbort = () => void this.stop();
  private readonly counters: { requests: (route: string, status: number) => void; billed: (fee: bigint) => void };

  constructor(
    options: Partial<BrokerOptions>,
    private readonly deps: BrokerDeps,
  ) {
    this.options = { ...defaultBrokerOptions, ...options, settlement: { ...defaultSettlementOptions, ...options.settlement } };
    this.signerAddress = bytesToHex(privateKeyToAddressBytes(deps.signerKey));
    this.log = deps.logger;
    this.now = deps.now ?? Date.now;
    this.domain = inferenceEip712Domain(deps.chain.chainId, deps.chain.servingContract);
    this.counters = metricsOf(deps.metrics ?? null);
  }

  /** The provider's address (the chain account that registers and settles). */
  get provider(): Hex {
    return this.deps.chain.providerAddress.toLowerCase() as Hex;
  }

  /** `http://host:port` once listening. */
  get url(): string {
    const a = this.server?.address() as AddressInfo | null | undefined;
    return a ? `http://${this.options.host}:${a.port}` : "";
  }

  async start(): Promise<void> {
    const o = this.options;
    const d = this.deps;
    this.release = lockDataDir(o.dataDir);
    try {
      this.db = new LMDBStore({ path: join(o.dataDir, "usage"), durability: o.durability });
      this.store = new UsageStore(this.db);
      this.store.load();
      await this.listen();
      const accounts = new AccountCache(d.chain, o.accountCacheMs, this.now);
      this.settler = new Settler(o.settlement, {
        store: this.store,
        chain: d.chain,
        accounts,
        signerKey: d.signerKey,
        provider: this.provider,
        domain: this.domain,
        logger: this.log,
        now: this.now,
      });
      // Settlements stored before a stop or crash go out first, so the service update below cannot take their nonce.
      const resent = await this.settler.resendStored();
      this.service = await syncService(
        d.chain,
        {
          serviceType: o.serviceType,
          url: o.url || this.url,
          model: d.backend.model.id,
          verifiability: d.backend.model.verifiability,
          inputPrice: o.inputPrice,
          outputPrice: o.outputPrice,
          additionalInfo: JSON.stringify(d.backend.model.additionalInfo),
          teeSignerAddress: this.signerAddress,
        },
        { stake: o.stakeWei, write: o.syncService, logger: this.log },
      );
      // A request without max_tokens is admitted for what the backend would generate by default, if it says.
      const defaultMaxTokens = d.backend.model.defaultMaxTokens ?? o.defaultMaxTokens;
      this.proxy = new InferenceProxy(
        { ...o, defaultMaxTokens },
        {
          provider: this.provider,
          signerKey: d.signerKey,
          signerAddress: this.signerAddress,
          domain: this.domain,
          prices: () => this.service!,
          tokens: new TokenCache(o.tokenCacheSize),
          accounts,
          store: this.store,
          backend: d.backend,
          logger: this.log,
          now: this.now,
          onBilled: (fee) => this.counters.billed(fee),
        },
      );
      this.settler.start();
      this.pruneTimer = setInterval(() => void this.prune(), 600_000).unref();
      d.signal?.addEventListener("abort", this.onAbort, { once: true });
      this.ready = true;
      this.log.info(
        { url: this.url, provider: this.provider, signer: this.signerAddress, model: this.service.model, resentSettlements: resent },
        "compute broker running",
      );
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /** Stops taking requests, lets the ones in flight finish (up to 5 s), stops settling, closes the store. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.ready = false;
    this.deps.signal?.removeEventListener("abort", this.onAbort);
    clearInterval(this.pruneTimer);
    if (this.server) {
      const server = this.server;
      const force = setTimeout(() => server.closeAllConnections(), 5_000);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      clearTimeout(force);
    }
    await this.settler?.stop();
    await this.store?.drain();
    await this.db?.close();
    this.release?.();
    this.server = undefined;
    this.settler = undefined;
    this.db = undefined;
    this.release = undefined;
  }

  /**
   * Stops at once, as `kill -9` would, for fault tests: connections are cut, no write is made after this call (one
   * already being committed may land), nothing is drained.
   */
  async halt(): Promise<void> {
    this.stopped = true;
    this.ready = false;
    this.store?.halt();
    clearInterval(this.pruneTimer);
    this.server?.closeAllConnections();
    this.server?.close();
    const settler = this.settler?.stop();
    await this.db?.close();
    this.release?.();
    void settler;
  }

  /** Settles every user with unsettled usage now and waits for the transactions. */
  settleNow(): Promise<SettleSummary> {
    if (!this.settler) throw stoppedError();
    return this.settler.settleNow();
  }

  /** Unsettled fees of a user (wei), as stored. */
  unsettledOf(user: string): bigint {
    return this.store?.of(user.toLowerCase() as Hex)?.unsettled ?? 0n;
  }

  private listen(): Promise<void> {
    const server = createServer({ keepAlive: true, keepAliveTimeout: 65_000 }, (req, res) => void this.route(req, res));
    server.headersTimeout = 66_000;
    server.requestTimeout = 0;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? "GET";
    res.setHeader("access-control-allow-origin", "*");
    res.setHeader("access-control-expose-headers", "provider, ZG-Res-Key");
    let label = "other";
    try {
      if (method === "OPTIONS") {
        res.writeHead(204, {
          "access-control-allow-methods": "GET, POST, OPTIONS",
          "access-control-allow-headers": "authorization, content-type",
          "access-control-max-age": "86400",
        });
        res.end();
        return;
      }
      if (path === "/health" && method === "GET") return this.health(res);
      if (!this.ready) throw stoppedError();
      if (path.startsWith(PROXY)) {
        const sub = path.slice(PROXY.length);
        if (method === "POST" && (sub === "chat/completions" || sub === "completions")) {
          label = sub;
          await this.proxy!.handle(req, res, sub as InferenceRoute);
          return;
        }
        if (method === "GET" && sub === "models") return this.models(res);
        if (method === "GET" && sub.startsWith("signature/")) return this.signature(res, decodeURIComponent(sub.slice(10)));
      }
      if (path === "/v1/service" && method === "GET") return this.serviceInfo(res);
      const unsettled = /^\/v1\/user\/(0x[0-9a-fA-F]{40})\/unsettledfee$/.exec(path);
      if (unsettled && method === "GET") return await this.unsettledFee(req, res, unsettled[1]!);
      if (path === "/v1/settle" && method === "POST") return await this.settleRoute(req, res);
      sendError(res, 404, `no route ${method} ${path}`, "not_found_error", "not_found");
    } catch (e) {
      if (e instanceof ComputeError) {
        const h = httpErrorOf(e);
        // A client that left mid-answer is routine; a backend that failed is not.
        if (res.destroyed) this.log.debug({ err: e.message, path }, "request ended early");
        else if (h.status >= 500) this.log.warn({ err: e.message, path }, "request failed");
        sendError(res, h.status, e.message, h.type, h.code);
      } else {
        this.log.error({ err: e, path }, "request failed");
        sendError(res, 500, "internal error", "server_error", "internal");
      }
    } finally {
      if (label !== "other") this.counters.requests(label, res.statusCode);
    }
  }

  /**
   * 0G's `GET /v1/user/:user/unsettledfee` (its SDK asks before topping a sub-account up): what this broker has served
   * the user and not yet settled, in wei. Only to the user's own session token.
   */
  private async unsettledFee(req: IncomingMessage, res: ServerResponse, who: string): Promise<void> {
    const { user } = await this.proxy!.authenticate(req);
    if (user.toLowerCase() !== who.toLowerCase())
      return sendError(res, 403, `this session token is ${user}'s, not ${who}'s`, "permission_error", "forbidden");
    sendJSON(res, 200, { user, unsettledFee: this.unsettledOf(user).toString() });
  }

  private health(res: ServerResponse): void {
    const users = this.store ? [...this.store.users()].filter((u) => u.entries.length > 0).length : 0;
    sendJSON(res, this.ready ? 200 : 503, {
      status: this.ready ? "ok" : "starting",
      provider: this.provider,
      unsettledUsers: users,
      pendingSettlements: this.store?.batches().length ?? 0,
    });
  }

  private models(res: ServerResponse): void {
    const s = this.service!;
    sendJSON(res, 200, {
      object: "list",
      data: [
        {
          id: s.model,
          object: "model",
          created: 0,
          owned_by: this.provider,
          verifiability: s.verifiability,
          pricing: { input_price: s.inputPrice.toString(), output_price: s.outputPrice.toString(), unit: "wei per token" },
        },
      ],
    });
  }

  private signature(res: ServerResponse, chatId: string): void {
    const json = this.store!.signature(chatId);
    if (json === undefined) throw new ComputeError({ code: ComputeErrorCode.NOT_FOUND, what: chatId }, `no signature for chat ${chatId}`);
    sendRawJSON(res, 200, json);
  }

  private serviceInfo(res: ServerResponse): void {
    const s = this.service!;
    sendJSON(res, 200, {
      provider: this.provider,
      serviceType: s.serviceType,
      url: s.url,
      model: s.model,
      verifiability: s.verifiability,
      inputPrice: s.inputPrice.toString(),
      outputPrice: s.outputPrice.toString(),
      additionalInfo: s.additionalInfo,
      signingAddress: s.teeSignerAddress,
      signerAcknowledged: s.teeSignerAcknowledged,
      chainId: this.deps.chain.chainId,
      servingContract: this.deps.chain.servingContract,
    });
  }

  /** `POST /v1/settle`: loopback only (an operator's trigger, not a user's). */
  private async settleRoute(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const from = req.socket.remoteAddress ?? "";
    if (from !== "127.0.0.1" && from !== "::1" && from !== "::ffff:127.0.0.1") {
      sendError(res, 403, "settlement is triggered from the broker's host only", "permission_error", "forbidden");
      return;
    }
    const s = await this.settleNow();
    sendJSON(res, 200, { batches: s.batches, users: s.users, fee: s.fee.toString(), remainingUsers: s.remainingUsers });
  }

  private async prune(): Promise<void> {
    try {
      const n = await this.store?.prune(this.now() - this.options.signatureRetentionMs);
      if (n) this.log.debug({ records: n }, "pruned settled signature records");
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, "pruning failed");
    }
  }
}

function stoppedError(): ComputeError {
  return new ComputeError({ code: ComputeErrorCode.STOPPED }, "the broker is not running (starting or stopping); retry shortly");
}

function metricsOf(m: Metrics | null): { requests: (route: string, status: number) => void; billed: (fee: bigint) => void } {
  if (!m) return { requests: () => {}, billed: () => {} };
  const requests = m.counter("zg_compute_broker_requests_total", "Inference requests by route and HTTP status", ["route", "status"]);
  const billed = m.counter("zg_compute_broker_billed_wei_total", "Fees billed (wei)");
  return {
    requests: (route, status) => requests.inc({ route, status: String(status) }),
    billed: (fee) => billed.inc(Number(fee)),
  };
}
