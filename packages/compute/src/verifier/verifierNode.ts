import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import type { Logger } from "@zerog/core";
import type { Hex } from "viem";
import type { InferenceRoute } from "../backend.js";
import { ComputeChain, revertName } from "../client/computeChain.js";
import { lockDataDir } from "../dataDir.js";
import { loadModel } from "../runtime/loadModel.js";
import type { IntModel } from "../runtime/model.js";
import { DisputeChain, type OpenedDispute } from "./disputeChain.js";
import { reexecuteAnswer } from "./reexecuteAnswer.js";

export interface VerifierNodeOptions {
  chainRpc: string;
  /** Status API (`GET /status`). */
  rpc: { host: string; port: number };
  dataDir: string;
  /** Wei to stake on first start; 0: the contract's minimum. */
  stake: bigint;
  /** How often to look for new disputes and deadlines. */
  pollMs: number;
  /** Where the weights and their manifest are; default: the ones this package ships. */
  modelsDir?: string;
}

export const defaultVerifierNodeOptions: Omit<VerifierNodeOptions, "dataDir"> = {
  chainRpc: "http://127.0.0.1:8545",
  rpc: { host: "127.0.0.1", port: 3081 },
  stake: 0n,
  pollMs: 1000,
};

export interface VerifierNodeDeps {
  privateKey: Hex;
  logger: Logger;
}

/** What the verifier decided about one dispute. */
export interface VerifierDecision {
  id: string;
  provider: string;
  /** `correct`/`wrong`: the vote cast; `abstained`: not the verifier's to judge (other weights, party, ineligible). */
  verdict: "correct" | "wrong" | "abstained";
  reason: string;
}

/**
 * A staked verifier: registers its stake once, then follows `DisputeOpened`, re-executes each disputed request with the
 * built-in model when the service runs the same weights, votes whether the provider's answer is what the model gives,
 * and resolves disputes whose deadline has passed. Its position (last block read) survives restarts.
 */
export class VerifierNode {
  private readonly options: VerifierNodeOptions;
  private chain: DisputeChain | null = null;
  private model: IntModel | null = null;
  private server: Server | null = null;
  private timer: NodeJS.Timeout | null = null;
  private releaseLock: (() => void) | null = null;
  private nextBlock = 0n;
  private readonly pending = new Map<bigint, bigint>();
  private readonly decisions: VerifierDecision[] = [];
  private polling: Promise<void> | null = null;

  constructor(
    options: Partial<VerifierNodeOptions> & { dataDir: string },
    private readonly deps: VerifierNodeDeps,
  ) {
    this.options = { ...defaultVerifierNodeOptions, ...options };
  }

  async start(): Promise<void> {
    this.releaseLock = lockDataDir(this.options.dataDir);
    this.model = loadModel(this.options.modelsDir ? { dir: this.options.modelsDir } : {});
    const chain = new DisputeChain(await ComputeChain.connect({ rpcUrl: this.options.chainRpc, privateKey: this.deps.privateKey }));
    this.chain = chain;
    const me = chain.chain.address;
    const v = await chain.getVerifier(me);
    if (v.stake === 0n) {
      const min = await chain.minVerifierStake();
      const stake = this.options.stake > min ? this.options.stake : min;
      await chain.registerVerifier(stake);
      this.deps.logger.info({ verifier: me, stake: stake.toString() }, "registered as a verifier");
    }
    this.nextBlock = this.readCursor();
    await this.listen();
    this.deps.logger.info(
      { verifier: me, model: this.model.name, weights: this.model.sha256, fromBlock: this.nextBlock.toString() },
      "verifier started",
    );
    this.schedule(0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.releaseLock?.();
  }

  /** Reads new blocks once: votes on new disputes, resolves expired ones. Exposed for tests. */
  async poll(): Promise<void> {
    const chain = this.chain!;
    const head = await chain.blockNumber();
    if (head >= this.nextBlock) {
      for (const d of await chain.disputesOpened(this.nextBlock, head)) await this.judge(d);
      this.nextBlock = head + 1n;
      this.writeCursor();
    }
    const now = BigInt(Math.floor(Date.now() / 1000));
    for (const [id, deadline] of this.pending) {
      const state = await chain.getDispute(id);
      if (state.outcome !== 0) this.pending.delete(id);
      else if (now > deadline) {
        await chain.resolve(id).catch((e) => this.deps.logger.warn({ id: id.toString(), err: (e as Error).message }, "resolve failed"));
        this.pending.delete(id);
      }
    }
  }

  private async judge(d: OpenedDispute): Promise<void> {
    const chain = this.chain!;
    const model = this.model!;
    const id = d.id.toString();
    const decide = (verdict: VerifierDecision["verdict"], reason: string) => {
      this.decisions.push({ id, provider: d.provider, verdict, reason });
      if (this.decisions.length > 100) this.decisions.shift();
      this.deps.logger.info({ id, provider: d.provider, verdict, reason }, "dispute judged");
    };
    this.pending.set(d.id, d.deadline);
    const service = await chain.chain.getService(d.provider);
    const weights = service ? weightsOf(service.additionalInfo) : null;
    if (weights !== `sha256:${model.sha256}`)
      return decide("abstained", `the service runs weights ${weights ?? "unknown"}, not ${model.sha256}`);
    const { route, stream } = requestShape(d.request);
    const cmp = reexecuteAnswer(model, route, stream, d.request, d.response);
    const providerCorrect = cmp.equal;
    try {
      await chain.vote(d.id, providerCorrect);
      decide(providerCorrect ? "correct" : "wrong", cmp.equal ? "re-execution gives the same answer" : cmp.differences.join("; "));
    } catch (e) {
      decide("abstained", `vote refused: ${revertName(e) ?? (e as Error).message}`);
    }
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.polling = this.poll()
        .catch((e) => this.deps.logger.warn({ err: (e as Error).message }, "verifier poll failed"))
        .finally(() => {
          this.polling = null;
          if (this.timer) this.schedule(this.options.pollMs);
        });
    }, ms);
  }

  private async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      if (req.method === "GET" && req.url === "/status") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            verifier: this.chain?.chain.address,
            model: this.model?.name,
            weights: this.model ? `sha256:${this.model.sha256}` : null,
            nextBlock: this.nextBlock.toString(),
            pending: [...this.pending.keys()].map(String),
            decisions: this.decisions,
          }),
        );
        return;
      }
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "not found: GET /status", code: "NOT_FOUND" } }));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(this.options.rpc.port, this.options.rpc.host, () => resolve());
    });
  }

  private readCursor(): bigint {
    const f = join(this.options.dataDir, "cursor.json");
    if (!existsSync(f)) return 0n;
    try {
      return BigInt((JSON.parse(readFileSync(f, "utf8")) as { nextBlock: string }).nextBlock);
    } catch {
      return 0n;
    }
  }

  private writeCursor(): void {
    const f = join(this.options.dataDir, "cursor.json");
    writeFileSync(`${f}.tmp`, JSON.stringify({ nextBlock: this.nextBlock.toString() }));
    renameSync(`${f}.tmp`, f);
  }

  get port(): number {
    const a = this.server?.address();
    return typeof a === "object" && a ? a.port : this.options.rpc.port;
  }

  get recentDecisions(): readonly VerifierDecision[] {
    return this.decisions;
  }
}

/** `weights` of a service's `additionalInfo` JSON (the built-in runtime puts `sha256:<hex>` there). */
export function weightsOf(additionalInfo: string): string | null {
  try {
    const w = (JSON.parse(additionalInfo) as { weights?: unknown }).weights;
    return typeof w === "string" ? w : null;
  } catch {
    return null;
  }
}

/** Which route a request body is for (`messages`: chat, else completions) and whether it asked for a stream. */
export function requestShape(request: Uint8Array): { route: InferenceRoute; stream: boolean } {
  try {
    const j = JSON.parse(new TextDecoder().decode(request)) as { messages?: unknown; stream?: unknown };
    return { route: Array.isArray(j.messages) ? "chat/completions" : "completions", stream: j.stream === true };
  } catch {
    return { route: "chat/completions", stream: false };
  }
}
