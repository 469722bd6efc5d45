import { join, resolve } from "node:path";
import { ComputeChain, type Service } from "@zerog/compute";
import type { Command } from "commander";
import { type Hex, isAddress, parseEther } from "viem";
import { badArg, readRunningManifest } from "./shared.js";

export interface UserFlags {
  rpc?: string;
  key?: string;
  datadir: string;
  json?: boolean;
}

export function describeService(s: Service): string {
  return [
    `provider       ${s.provider}`,
    `  model        ${s.model}`,
    `  url          ${s.url}`,
    `  type         ${s.serviceType}`,
    `  verifiability ${s.verifiability || "(none: signed, not re-executable)"}`,
    `  price        ${s.inputPrice} / ${s.outputPrice} neuron per input / output token`,
    `  signer       ${s.teeSignerAddress}`,
  ].join("\n");
}

/** Options every user command takes. */
export function user(c: Command): Command {
  return c
    .option("--rpc <url>", "chain JSON-RPC URL (default: the running devnet's)")
    .option("--key <hex>", "your private key (default: the devnet's account 0)")
    .option("--datadir <dir>", "where `zg devnet` keeps its data; its manifest gives the defaults", ".zerog")
    .option("--json", "print the result as JSON");
}

export async function connectUser(f: UserFlags, needsKey: boolean): Promise<ComputeChain> {
  const manifest = readRunningManifest(f.datadir);
  const rpc = f.rpc ?? manifest?.rpcUrls[0];
  if (!rpc) throw badArg("rpc", `no running devnet under ${resolve(f.datadir)}; start one with \`zg devnet\` or pass --rpc`);
  const key = f.key ?? manifest?.accounts[0]?.privateKey;
  if (needsKey && !key) throw noKey();
  return ComputeChain.connect({ rpcUrl: rpc, ...(key ? { privateKey: privateKey(key) } : {}) });
}

/** `--key`, else the running devnet's account 0. */
export function userKey(f: UserFlags): Hex {
  const key = f.key ?? readRunningManifest(f.datadir)?.accounts[0]?.privateKey;
  if (!key) throw noKey();
  return privateKey(key);
}

function noKey() {
  return badArg("key", "pass --key (your private key), or run a devnet whose account 0 is used");
}

/** Where the user's answered requests are kept (for `zg compute verify` and `watch`). */
export function journalDir(f: { datadir: string }): string {
  return join(resolve(f.datadir), "compute", "requests");
}

export function zgAmount(v: string, name: string): bigint {
  if (!/^[0-9]+(\.[0-9]{1,18})?$/.test(v)) throw badArg(name, `${name} must be an amount of ZG such as 10 or 0.5, got "${v}"`);
  return parseEther(v);
}

export function address(v: string, name: string): Hex {
  if (!isAddress(v)) throw badArg(name, `${name} must be a 20-byte hex address, got "${v}"`);
  return v;
}

export function privateKey(v: string): Hex {
  const hex = v.startsWith("0x") ? v : `0x${v}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw badArg("key", "the private key must be 32 bytes of hex");
  return hex as Hex;
}
