import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  defaultExecutionOptions,
  generateNodeKey,
  generateValidatorKey,
  nodeIdFromKey,
  readValidatorKeyFile,
  signProofOfPossession,
  writeValidatorKeyFile,
} from "@zerog/chain";
import { bytesToHex, hexToBytes } from "@zerog/core";
import { CliError, CliErrorCode, readJsonFile } from "../config.js";
import type { ManifestNode } from "./manifest.js";

export interface DevnetPlan {
  validators: number;
  host: string;
  rpcPort: number;
  p2pPort: number;
  blockTime: number;
  logLevel: string;
}

export interface PlannedNode {
  name: string;
  role: ManifestNode["role"];
  dir: string;
  configPath: string;
  rpc: string;
  ws: string;
  p2p: string;
}

/** The validators of a devnet genesis: one BLS key per validator node, power 1 each. */
export function devnetValidatorKeys(
  dir: string,
  count: number,
): { publicKey: string; power: string; name: string; proofOfPossession: string }[] {
  return Array.from({ length: count }, (_, i) => {
    const nodeDir = join(dir, `validator-${i}`);
    mkdirSync(nodeDir, { recursive: true });
    const keyFile = join(nodeDir, "validator_key.json");
    const key = existsSync(keyFile) ? readValidatorKeyFile(keyFile) : generateValidatorKey();
    if (!existsSync(keyFile)) writeValidatorKeyFile(keyFile, key);
    return {
      publicKey: bytesToHex(key.publicKey),
      power: "1",
      name: `validator-${i}`,
      proofOfPossession: bytesToHex(signProofOfPossession(key)),
    };
  });
}

function nodeKey(nodeDir: string): { id: string } {
  const file = join(nodeDir, "node_key.json");
  if (existsSync(file)) {
    const j = readJsonFile(file, "node key") as { nodeKey: string };
    return { id: nodeIdFromKey(hexToBytes(j.nodeKey)) };
  }
  const key = generateNodeKey();
  writeFileSync(file, `${JSON.stringify({ nodeKey: bytesToHex(key) }, null, 2)}\n`, { mode: 0o600 });
  return { id: nodeIdFromKey(key) };
}

/**
 * Lays out a devnet: `validator-i` nodes (and, with more than one validator, an `rpc` full node
 * that owns the main RPC port), each with its keys and a config naming every other node as a
 * persistent peer. Existing keys and configs are kept, so a restart continues the same chain.
 */
export function planDevnet(dir: string, p: DevnetPlan): PlannedNode[] {
  const specs: { name: string; role: ManifestNode["role"]; rpcPort: number; p2pPort: number; validator: boolean }[] = [];
  if (p.validators > 1) specs.push({ name: "rpc", role: "rpc", rpcPort: p.rpcPort, p2pPort: p.p2pPort + p.validators, validator: false });
  for (let i = 0; i < p.validators; i++) {
    specs.push({
      name: `validator-${i}`,
      role: "validator",
      rpcPort: p.validators > 1 ? p.rpcPort + 1 + i : p.rpcPort,
      p2pPort: p.p2pPort + i,
      validator: true,
    });
  }
  const ids = specs.map((s) => {
    const nodeDir = join(dir, s.name);
    mkdirSync(nodeDir, { recursive: true });
    return nodeKey(nodeDir).id;
  });
  return specs.map((s, i) => {
    const nodeDir = join(dir, s.name);
    const peers = specs.map((o, j) => (j === i ? null : `${ids[j]}@${p.host}:${o.p2pPort}`)).filter((x): x is string => x !== null);
    const config = {
      dataDir: ".",
      genesis: "../genesis.json",
      rpc: { host: p.host, port: s.rpcPort },
      p2p: { listen: { host: p.host, port: s.p2pPort }, persistentPeers: peers, nodeKeyFile: "node_key.json" },
      consensus: { validatorKeyFile: s.validator ? "validator_key.json" : null, blockTime: p.blockTime },
      producer: { blockTime: p.blockTime },
      // Spread over the interval: the nodes share this machine, and a state write is a burst of CPU.
      execution: { stateWritePhase: Math.floor((i * defaultExecutionOptions.stateWriteInterval) / specs.length) },
      log: { level: p.logLevel },
    };
    const configPath = join(nodeDir, "config.json");
    writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
    return {
      name: s.name,
      role: s.role,
      dir: nodeDir,
      configPath,
      rpc: `http://${p.host}:${s.rpcPort}`,
      ws: `ws://${p.host}:${s.rpcPort}`,
      p2p: `${ids[i]}@${p.host}:${s.p2pPort}`,
    };
  });
}

/**
 * Refuses to reuse a devnet created with another number of validators, or without the system contracts of the
 * storage (`storage`), DA (`da`) or compute (`compute`) processes asked for.
 */
export function checkExistingGenesis(genesisPath: string, validators: number, storage = false, da = false, compute = false): void {
  if (!existsSync(genesisPath)) return;
  const g = readJsonFile(genesisPath, "genesis") as { validators?: unknown[]; systemContracts?: Record<string, unknown> };
  if (storage && typeof g.systemContracts?.Flow !== "string") {
    throw new CliError(
      { code: CliErrorCode.BAD_ARGUMENT, detail: "storage" },
      `the devnet in ${genesisPath} predates 0G Storage (no Flow contract in its genesis); add --reset to start a new one, or --storage.nodes 0`,
    );
  }
  if (da && typeof g.systemContracts?.DASigners !== "string") {
    throw new CliError(
      { code: CliErrorCode.BAD_ARGUMENT, detail: "da" },
      `the devnet in ${genesisPath} predates 0G DA (no DASigners contract in its genesis); add --reset to start a new one, or --da.signers 0`,
    );
  }
  if (compute && typeof g.systemContracts?.InferenceServing !== "string") {
    throw new CliError(
      { code: CliErrorCode.BAD_ARGUMENT, detail: "compute" },
      `the devnet in ${genesisPath} predates 0G Compute (no InferenceServing contract in its genesis); add --reset to start a new one, or --compute.providers 0`,
    );
  }
  const have = Array.isArray(g.validators) ? g.validators.length : 0;
  if (have !== validators) {
    throw new CliError(
      { code: CliErrorCode.BAD_ARGUMENT, detail: "validators" },
      `the devnet in ${genesisPath} has ${have} validator(s), not ${validators}; add --reset to start a new one`,
    );
  }
}

export interface StoragePlan {
  /** Storage node processes (0: none). */
  nodes: number;
  /** numShard; node i stores shard i % shards, so nodes / shards replicas of each segment. */
  shards: number;
  host: string;
  /** RPC port of storage-0; storage-i listens on port + i. */
  port: number;
  chainRpc: string;
  logLevel: string;
}

export interface PlannedStorageNode {
  name: string;
  dir: string;
  rpc: string;
  args: string[];
}

/** Lays out the devnet's storage nodes: `storage-i` with shard `i % shards`, every other node as a sync peer. */
export function planStorageNodes(dir: string, p: StoragePlan): PlannedStorageNode[] {
  if (p.nodes === 0) return [];
  if (p.shards < 1 || (p.shards & (p.shards - 1)) !== 0 || p.shards > p.nodes) {
    throw new CliError(
      { code: CliErrorCode.BAD_ARGUMENT, detail: "storage.shards" },
      `--storage.shards must be a power of two no larger than --storage.nodes (${p.nodes}), got ${p.shards}`,
    );
  }
  const urls = Array.from({ length: p.nodes }, (_, i) => `http://${p.host}:${p.port + i}`);
  return urls.map((rpc, i) => {
    const nodeDir = join(dir, `storage-${i}`);
    mkdirSync(nodeDir, { recursive: true });
    const peers = urls.filter((_, j) => j !== i);
    const args = ["storage", "node", "--chain-rpc", p.chainRpc, "--rpc.host", p.host, "--rpc.port", String(p.port + i)];
    args.push("--shard", `${i % p.shards}/${p.shards}`, "--data-dir", nodeDir, "--log-level", p.logLevel);
    if (peers.length > 0) args.push("--peers", peers.join(","));
    return { name: `storage-${i}`, dir: nodeDir, rpc, args };
  });
}
