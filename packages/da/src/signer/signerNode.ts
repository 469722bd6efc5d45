import { join } from "node:path";
import { defaultJsonRpcServerOptions, JsonRpcServer, type JsonRpcServerOptions, LMDBStore, type Logger } from "@zerog/core";
import type { Hex } from "viem";
import { RpcDAChain } from "../chain/rpcDAChain.js";
import { loadKZG } from "../encoder/kzg.js";
import { lockDataDir } from "../nodeCommon.js";
import { CellStore } from "./cellStore.js";
import type { DASignerKey } from "./signerKey.js";
import { registerSignerRoutes } from "./signerRoutes.js";

export interface DASignerNodeOptions {
  chainRpc: string;
  rpc: Pick<JsonRpcServerOptions, "host" | "port">;
  dataDir: string;
  /** The URL registered on chain (default: `http://<rpc.host>:<rpc.port>`). */
  socket?: string;
  /** Wei kept staked in DARegistry; votes = stake / tokensPerVote (devnet: 32 ZG → 32 of 128 slots). */
  stake: bigint;
  /** How often the node checks it is registered for the next epoch. */
  registerIntervalMs: number;
  maxOngoingSigns: number;
}

export const defaultDASignerNodeOptions: DASignerNodeOptions = {
  chainRpc: "http://127.0.0.1:8545",
  rpc: { host: "127.0.0.1", port: 34000 },
  dataDir: ".zerog/da-signer",
  stake: 32n * 10n ** 18n,
  registerIntervalMs: 5_000,
  maxOngoingSigns: 10,
};

/**
 * A DA signer: stakes and registers its BLS key (proof of possession) through DARegistry, registers for every next
 * epoch, and serves the signer API (verify, store and sign its columns; serve them to retrievers and samplers).
 */
export class DASignerNode {
  private readonly options: DASignerNodeOptions;
  private server: JsonRpcServer | undefined;
  private db: LMDBStore | undefined;
  private release: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  chain: RpcDAChain | undefined;

  constructor(
    options: Partial<DASignerNodeOptions>,
    private readonly deps: { key: DASignerKey; privateKey: Hex; logger: Logger },
  ) {
    this.options = { ...defaultDASignerNodeOptions, ...options };
  }

  get url(): string {
    return this.server?.url ?? "";
  }

  async start(): Promise<void> {
    const o = this.options;
    const log = this.deps.logger;
    this.release = lockDataDir(o.dataDir);
    try {
      // The trusted setup takes ~3 s to load: before serving, not inside the first sign request.
      loadKZG();
      this.db = new LMDBStore({ path: join(o.dataDir, "cells") });
      this.chain = await RpcDAChain.connect({ rpcUrl: o.chainRpc, privateKey: this.deps.privateKey });
      const address = this.chain.account!.address.toLowerCase();
      this.server = new JsonRpcServer({ ...defaultJsonRpcServerOptions, ...o.rpc }, { logger: log, metrics: null });
      registerSignerRoutes(this.server, {
        store: new CellStore(this.db),
        chain: this.chain,
        key: this.deps.key,
        address,
        logger: log,
        maxOngoingSigns: o.maxOngoingSigns,
      });
      await this.server.start();
      const socket = o.socket ?? this.server.url;
      const done = await this.chain.ensureSigner(this.deps.key, socket, o.stake);
      log.info({ address, socket, done }, "DA signer registered");
      await this.registerNext();
      this.timer = setInterval(() => void this.registerNext(), o.registerIntervalMs);
      this.timer.unref();
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  private async registerNext(): Promise<void> {
    try {
      const epoch = await this.chain!.registerNextEpoch(this.deps.key);
      if (epoch !== null) this.deps.logger.info({ epoch }, "registered for the next epoch");
    } catch (e) {
      this.deps.logger.warn({ err: (e as Error).message }, "could not register for the next epoch; retrying");
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.server?.stop();
    await this.db?.close();
    this.release?.();
    this.server = undefined;
    this.db = undefined;
    this.release = undefined;
  }
}
