import { renameSync, writeFileSync } from "node:fs";

/** One process of a devnet, as scripts and tests find it. */
export interface ManifestNode {
  name: string;
  role: "validator" | "rpc" | "storage" | "da-signer" | "da-disperser" | "compute-provider" | "compute-verifier";
  pid: number;
  rpc: string;
  ws?: string;
  /** `nodeId@host:port` for p2p (consensus networks). */
  p2p?: string;
  dataDir: string;
  log: string;
}

/** `.zerog/devnet/devnet.json`: what is running and where. */
export interface DevnetManifest {
  status: "starting" | "running" | "stopped";
  chainId: number;
  rpcUrls: string[];
  wsUrls: string[];
  genesis: string;
  nodes: ManifestNode[];
  accounts: { address: string; privateKey: string }[];
  supervisorPid: number;
  startedAt: string;
}

/** Writes atomically (rename), so a reader never sees half a manifest. */
export function writeManifest(path: string, m: DevnetManifest): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(m, null, 2)}\n`);
  renameSync(tmp, path);
}
