import { resolve } from "node:path";
import {
  Broker,
  defaultBrokerOptions,
  defaultSettlementOptions,
  defaultVerifierNodeOptions,
  loadModel,
  type ModelBackend,
  OpenAIUpstreamBackend,
  RpcBrokerChain,
  RuntimeBackend,
  VerifierNode,
} from "@zerog/compute";
import { createLogger, hexToBytes, type LogLevel } from "@zerog/core";
import type { Command } from "commander";
import { intArg } from "../config.js";
import { zgAmount } from "./computeOptions.js";
import { badArg, readKeyFile, runUntilSignal } from "./shared.js";

interface ServeFlags {
  chainRpc: string;
  "rpc.host": string;
  "rpc.port": number;
  url?: string;
  dataDir?: string;
  keyFile?: string;
  model: string;
  upstream?: string;
  upstreamModel?: string;
  inputPrice: string;
  outputPrice: string;
  workers: number;
  settleInterval: number;
  settleThreshold: string;
  logLevel: string;
}

interface VerifierFlags {
  chainRpc: string;
  "rpc.host": string;
  "rpc.port": number;
  dataDir?: string;
  keyFile?: string;
  stake: string;
  logLevel: string;
}

/** `zg compute serve` (a provider broker) and `zg compute verifier` (a staked verifier). */
export function registerComputeNodeCommands(compute: Command): void {
  compute
    .command("serve")
    .description("serve a model as an inference provider: OpenAI-compatible /v1/proxy, metered, signed, settled on chain")
    .option("--chain-rpc <url>", "the chain's JSON-RPC URL", "http://127.0.0.1:8545")
    .option("--rpc.host <host>", "listen address", defaultBrokerOptions.host)
    .option("--rpc.port <port>", "HTTP port", intArg("--rpc.port", 0, 65535), defaultBrokerOptions.port)
    .option("--url <url>", "public URL registered on chain (default: http://host:port)")
    .option("--data-dir <dir>", "where unsettled usage and signatures are kept", ".zerog/compute-provider")
    .option("--key-file <file>", 'JSON key file {"privateKey": "0x…"}: registers, signs answers, settles')
    .option("--model <name>", 'the built-in deterministic model ("builtin": the default weights this repo ships)', "builtin")
    .option("--upstream <url>", "serve an OpenAI-compatible upstream instead (e.g. http://127.0.0.1:8080/v1 for llama.cpp)")
    .option("--upstream-model <id>", "the upstream's model id (with --upstream)")
    .option("--input-price <neuron>", "price per prompt token, in neuron (1e-18 ZG)", String(defaultBrokerOptions.inputPrice))
    .option("--output-price <neuron>", "price per completion token, in neuron", String(defaultBrokerOptions.outputPrice))
    .option("--workers <n>", "threads generating with the built-in model (0: on the main thread)", intArg("--workers", 0, 64), 1)
    .option(
      "--settle-interval <ms>",
      "settle a user's usage at the latest this long after it was served",
      intArg("--settle-interval", 100),
      defaultSettlementOptions.intervalMs,
    )
    .option("--settle-threshold <zg>", "… or as soon as it reaches this much", "0.1")
    .option("--log-level <level>", "fatal|error|warn|info|debug|trace|silent", "info")
    .action(async (f: ServeFlags) => {
      const key = readKeyFile(f.keyFile);
      const logger = createLogger({ level: f.logLevel as LogLevel, base: { node: "compute-provider" } });
      const price = (v: string, name: string) => {
        if (!/^[0-9]{1,30}$/.test(v)) throw badArg(name, `${name} must be a whole number of neuron per token, got "${v}"`);
        return BigInt(v);
      };
      const inputPrice = price(f.inputPrice, "--input-price");
      const outputPrice = price(f.outputPrice, "--output-price");
      const backend = makeBackend(f);
      const chain = await RpcBrokerChain.connect({ rpcUrl: f.chainRpc, privateKey: key.privateKey });
      const broker = new Broker(
        {
          host: f["rpc.host"],
          port: f["rpc.port"],
          dataDir: resolve(f.dataDir ?? ".zerog/compute-provider"),
          url: f.url ?? "",
          inputPrice,
          outputPrice,
          settlement: {
            ...defaultSettlementOptions,
            intervalMs: f.settleInterval,
            thresholdWei: zgAmount(f.settleThreshold, "--settle-threshold"),
          },
        },
        { chain, backend, signerKey: hexToBytes(key.privateKey), logger },
      );
      await runUntilSignal(
        async () => {
          await broker.start();
          logger.info({ url: broker.url, provider: broker.provider, model: backend.model.id }, "provider serving");
        },
        async () => {
          await broker.stop();
          await backend.close();
        },
        logger,
      );
    });

  compute
    .command("verifier")
    .description("stake as a verifier and vote on disputes by re-executing them with the built-in model")
    .option("--chain-rpc <url>", "the chain's JSON-RPC URL", defaultVerifierNodeOptions.chainRpc)
    .option("--rpc.host <host>", "listen address of the status API", defaultVerifierNodeOptions.rpc.host)
    .option("--rpc.port <port>", "status API port (GET /status)", intArg("--rpc.port", 0, 65535), defaultVerifierNodeOptions.rpc.port)
    .option("--data-dir <dir>", "where the verifier keeps its position", ".zerog/compute-verifier")
    .option("--key-file <file>", 'JSON key file {"privateKey": "0x…"}')
    .option("--stake <zg>", "stake on first start (0: the contract's minimum)", "0")
    .option("--log-level <level>", "fatal|error|warn|info|debug|trace|silent", "info")
    .action(async (f: VerifierFlags) => {
      const key = readKeyFile(f.keyFile);
      const logger = createLogger({ level: f.logLevel as LogLevel, base: { node: "compute-verifier" } });
      const node = new VerifierNode(
        {
          chainRpc: f.chainRpc,
          rpc: { host: f["rpc.host"], port: f["rpc.port"] },
          dataDir: resolve(f.dataDir ?? ".zerog/compute-verifier"),
          stake: zgAmount(f.stake, "--stake"),
        },
        { privateKey: key.privateKey, logger },
      );
      await runUntilSignal(
        () => node.start(),
        () => node.stop(),
        logger,
      );
    });
}

function makeBackend(f: ServeFlags): ModelBackend {
  if (f.upstream) {
    if (!/^https?:\/\//.test(f.upstream)) throw badArg("upstream", `--upstream must be an http(s) URL, got "${f.upstream}"`);
    if (!f.upstreamModel) throw badArg("upstream-model", "--upstream needs --upstream-model (the model id the upstream serves)");
    return new OpenAIUpstreamBackend({ baseUrl: f.upstream, model: f.upstreamModel });
  }
  if (f.model !== "builtin") throw badArg("model", `--model must be "builtin" (or use --upstream), got "${f.model}"`);
  return new RuntimeBackend({ workers: f.workers }, { model: loadModel(), now: () => Math.floor(Date.now() / 1000) });
}
