import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readJsonFile } from "../config.js";
import { deriveAccounts } from "../mnemonic.js";

/** BIP-44 index of the devnet compute provider's account in the devnet mnemonic. */
export const COMPUTE_PROVIDER_ACCOUNT_INDEX = 130;
/** BIP-44 index of the devnet compute verifier's account. */
export const COMPUTE_VERIFIER_ACCOUNT_INDEX = 131;
/** A compute process's key file (mode 0600): `{privateKey}`. */
export const COMPUTE_KEY_FILE = "compute_key.json";

export interface ComputePlan {
  /** Provider processes with the built-in model (0 or 1). */
  providers: number;
  host: string;
  /** HTTP port of the provider broker; the verifier's status API uses the next one. */
  port: number;
  chainRpc: string;
  mnemonic: string;
  logLevel: string;
}

export interface PlannedComputeProcess {
  name: string;
  role: "compute-provider" | "compute-verifier";
  dir: string;
  /** Base URL: the provider registers it on chain as its service URL. */
  rpc: string;
  readyPath: string;
  readyStatus: number[];
  args: string[];
}

export interface ComputeLayout {
  processes: PlannedComputeProcess[];
  /** Addresses genesis must fund (the provider stakes 100 ZG and pays settlement gas; the verifier stakes). */
  accounts: string[];
}

/** The provider's and verifier's addresses, which genesis funds whether or not the processes run. */
export function computeAccounts(mnemonic: string): string[] {
  return [COMPUTE_PROVIDER_ACCOUNT_INDEX, COMPUTE_VERIFIER_ACCOUNT_INDEX].map((i) => deriveAccounts(mnemonic, 1, i)[0]!.address);
}

/**
 * Lays out the devnet's compute processes: `compute-provider` (mnemonic account 130) serving the built-in deterministic
 * model on `port`, and `compute-verifier` (account 131), which stakes as a verifier and votes on disputes by
 * re-executing them.
 */
export function planCompute(dir: string, p: ComputePlan): ComputeLayout {
  if (p.providers === 0) return { processes: [], accounts: [] };
  const [provider, verifier] = [
    deriveAccounts(p.mnemonic, 1, COMPUTE_PROVIDER_ACCOUNT_INDEX)[0]!,
    deriveAccounts(p.mnemonic, 1, COMPUTE_VERIFIER_ACCOUNT_INDEX)[0]!,
  ];
  const providerDir = join(dir, "compute-provider");
  const providerKey = writeKeyFile(providerDir, provider.privateKey);
  const url = `http://${p.host}:${p.port}`;
  const providerArgs = ["compute", "serve", "--chain-rpc", p.chainRpc, "--rpc.host", p.host, "--rpc.port", String(p.port)];
  providerArgs.push("--url", url, "--model", "builtin", "--data-dir", providerDir, "--key-file", providerKey, "--log-level", p.logLevel);
  const verifierDir = join(dir, "compute-verifier");
  const verifierKey = writeKeyFile(verifierDir, verifier.privateKey);
  const verifierUrl = `http://${p.host}:${p.port + 1}`;
  const verifierArgs = ["compute", "verifier", "--chain-rpc", p.chainRpc, "--rpc.host", p.host, "--rpc.port", String(p.port + 1)];
  verifierArgs.push("--data-dir", verifierDir, "--key-file", verifierKey, "--log-level", p.logLevel);
  return {
    processes: [
      {
        name: "compute-provider",
        role: "compute-provider",
        dir: providerDir,
        rpc: url,
        readyPath: "/health",
        readyStatus: [200],
        args: providerArgs,
      },
      {
        name: "compute-verifier",
        role: "compute-verifier",
        dir: verifierDir,
        rpc: verifierUrl,
        readyPath: "/status",
        readyStatus: [200],
        args: verifierArgs,
      },
    ],
    accounts: [provider.address, verifier.address],
  };
}

function writeKeyFile(nodeDir: string, privateKey: string): string {
  mkdirSync(nodeDir, { recursive: true });
  const keyFile = join(nodeDir, COMPUTE_KEY_FILE);
  const existing = existsSync(keyFile) ? (readJsonFile(keyFile, "compute key") as { privateKey?: string }) : null;
  if (existing?.privateKey !== privateKey) writeFileSync(keyFile, `${JSON.stringify({ privateKey }, null, 2)}\n`, { mode: 0o600 });
  return keyFile;
}
