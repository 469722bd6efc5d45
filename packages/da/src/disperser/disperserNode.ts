import { join } from "node:path";
import { defaultJsonRpcServerOptions, JsonRpcServer, type JsonRpcServerOptions, LMDBStore, type Logger } from "@zerog/core";
import type { Hex } from "viem";
import { RpcDAChain } from "../chain/rpcDAChain.js";
import { EncoderPool } from "../encoder/encoderPool.js";
import { MAX_BLOB_BYTES } from "../encoder/params.js";
import { lockDataDir } from "../nodeCommon.js";
import { Disperser, type DisperserOptions } from "./disperser.js";
import { registerDisperserRoutes } from "./disperserRoutes.js";

export interface DisperserNodeOptions {
  chainRpc: string;
  rpc: Pick<JsonRpcServerOptions, "host" | "port">;
  dataDir: string;
  /** Encoder threads (default: one per core). */
  workers?: number;
  disperser: Partial<DisperserOptions>;
}

export const defaultDisperserNodeOptions: DisperserNodeOptions = {
  chainRpc: "http://127.0.0.1:8545",
  rpc: { host: "127.0.0.1", port: 51001 },
  dataDir: ".zerog/da-disperser",
  disperser: {},
};

/** The disperser process: its queue in LMDB, encoder threads, the chain over JSON-RPC, the HTTP API. */
export class DisperserNode {
  private readonly options: DisperserNodeOptions;
  private server: JsonRpcServer | undefined;
  private db: LMDBStore | undefined;
  private pool: EncoderPool | undefined;
  private disperser: Disperser | undefined;
  private release: (() => void) | undefined;

  constructor(
    options: Partial<DisperserNodeOptions>,
    private readonly deps: { privateKey: Hex; logger: Logger },
  ) {
    this.options = { ...defaultDisperserNodeOptions, ...options };
  }

  get url(): string {
    return this.server?.url ?? "";
  }

  async start(): Promise<void> {
    const o = this.options;
    this.release = lockDataDir(o.dataDir);
    try {
      this.db = new LMDBStore({ path: join(o.dataDir, "queue") });
      const chain = await RpcDAChain.connect({ rpcUrl: o.chainRpc, privateKey: this.deps.privateKey });
      this.pool = new EncoderPool(o.workers === undefined ? {} : { workers: o.workers });
      await this.pool.start();
      this.disperser = new Disperser(o.disperser, { db: this.db, chain, encoder: this.pool, logger: this.deps.logger });
      this.server = new JsonRpcServer(
        { ...defaultJsonRpcServerOptions, ...o.rpc, maxBodyBytes: MAX_BLOB_BYTES + (1 << 20) },
        { logger: this.deps.logger, metrics: null },
      );
      registerDisperserRoutes(this.server, this.disperser);
      await this.server.start();
      this.disperser.start();
      this.deps.logger.info({ url: this.server.url, account: chain.account!.address, contracts: chain.contracts }, "DA disperser running");
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    await this.disperser?.stop();
    await this.pool?.stop();
    await this.db?.close();
    this.release?.();
    this.server = undefined;
    this.disperser = undefined;
    this.pool = undefined;
    this.db = undefined;
    this.release = undefined;
  }
}
