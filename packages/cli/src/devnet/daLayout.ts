import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SecretKey } from "@chainsafe/blst";
import { type DAGenesisSigner, daEpochRegistrationMessage, daGenesisSigner } from "@zerog/contracts";
import { bytesToHex, hexToBytes } from "@zerog/core";
import { CliError, CliErrorCode, readJsonFile } from "../config.js";
import { type DerivedAccount, deriveAccounts } from "../mnemonic.js";

/** BIP-44 index of DA signer 0's Ethereum account in the devnet mnemonic; signer i uses `+ i`. */
export const DA_SIGNER_ACCOUNT_INDEX = 100;
/** BIP-44 index of the disperser's Ethereum account. */
export const DA_DISPERSER_ACCOUNT_INDEX = 120;
/**
 * Votes of each genesis signer. 4 signers × 32 ballots = 128 make exactly one quorum in which each holds 32 slots, so
 * any 2 of the 4 hold 64 columns, enough to recover every row.
 */
export const DA_GENESIS_VOTES = 32n;
/** The key file of a DA process (mode 0600): `{privateKey}` and, for a signer, `{blsSecretKey}`. */
export const DA_KEY_FILE = "da_key.json";

export interface DAPlan {
  /** Signer processes and genesis signers (0: no DA processes). */
  signers: number;
  host: string;
  /** HTTP port of da-signer-0; da-signer-i listens on `port + i`. */
  port: number;
  /** HTTP port of the disperser. */
  disperserPort: number;
  chainRpc: string;
  /** The genesis chain id: the genesis signers' epoch-0 signatures commit to it. */
  chainId: number;
  mnemonic: string;
  logLevel: string;
}

export interface PlannedDAProcess {
  name: string;
  role: "da-signer" | "da-disperser";
  dir: string;
  keyFile: string;
  /** Base HTTP URL; a signer registers it as its socket. */
  rpc: string;
  /** Path answered once the process is up (GET). */
  readyPath: string;
  /** HTTP statuses at `readyPath` that mean up. */
  readyStatus: number[];
  args: string[];
}

export interface DALayout {
  /** `DASigners` genesis signers, one per signer process, in order. */
  genesisSigners: DAGenesisSigner[];
  signers: PlannedDAProcess[];
  disperser: PlannedDAProcess | null;
  /** Addresses genesis must fund: the signers' accounts (to stake and register) and the disperser's (to submit). */
  accounts: string[];
}

interface DAKeyFile {
  privateKey: string;
  blsSecretKey?: string;
}

/**
 * Lays out the devnet's DA processes: `da-signer-i` with the mnemonic's account 100 + i and a BLS key made on first
 * use and kept after (as validator keys are, so a restart still matches the genesis signers), and `da-disperser`
 * with account 120. The genesis signers it returns register each signer's URL with `DA_GENESIS_VOTES` votes.
 */
export function planDA(dir: string, p: DAPlan): DALayout {
  if (p.signers === 0) return { genesisSigners: [], signers: [], disperser: null, accounts: [] };
  const accounts = deriveAccounts(p.mnemonic, p.signers, DA_SIGNER_ACCOUNT_INDEX);
  const genesisSigners: DAGenesisSigner[] = [];
  const signers = accounts.map((account, i): PlannedDAProcess => {
    const nodeDir = join(dir, `da-signer-${i}`);
    const keyFile = join(nodeDir, DA_KEY_FILE);
    const rpc = `http://${p.host}:${p.port + i}`;
    const sk = writeKeyFile(nodeDir, keyFile, account, true)!;
    genesisSigners.push(
      daGenesisSigner({
        signer: account.address,
        socket: rpc,
        publicKey: sk.toPublicKey().toBytes(false),
        epochSignature: sk.sign(daEpochRegistrationMessage(account.address, 0n, BigInt(p.chainId))).toBytes(false),
        votes: DA_GENESIS_VOTES,
      }),
    );
    const args = ["da", "signer", "--chain-rpc", p.chainRpc, "--rpc.host", p.host, "--rpc.port", String(p.port + i)];
    args.push("--data-dir", nodeDir, "--key-file", keyFile, "--log-level", p.logLevel);
    return { name: `da-signer-${i}`, role: "da-signer", dir: nodeDir, keyFile, rpc, readyPath: "/v1/status", readyStatus: [200], args };
  });
  const [disperserAccount] = deriveAccounts(p.mnemonic, 1, DA_DISPERSER_ACCOUNT_INDEX);
  const disperserDir = join(dir, "da-disperser");
  const disperserKey = join(disperserDir, DA_KEY_FILE);
  writeKeyFile(disperserDir, disperserKey, disperserAccount!, false);
  const disperserArgs = ["da", "disperser", "--chain-rpc", p.chainRpc, "--rpc.host", p.host, "--rpc.port", String(p.disperserPort)];
  disperserArgs.push("--data-dir", disperserDir, "--key-file", disperserKey, "--log-level", p.logLevel);
  const disperser: PlannedDAProcess = {
    name: "da-disperser",
    role: "da-disperser",
    dir: disperserDir,
    keyFile: disperserKey,
    rpc: `http://${p.host}:${p.disperserPort}`,
    // An unknown id answers 404 (NOT_FOUND) once the API is up.
    readyPath: "/v1/blobs/status?id=probe",
    readyStatus: [200, 404],
    args: disperserArgs,
  };
  return { genesisSigners, signers, disperser, accounts: [...accounts, disperserAccount!].map((a) => a.address) };
}

/**
 * Writes `{privateKey}` (and, for a signer, the BLS secret: the existing one, else a new random one) unless the file
 * already says exactly that; returns the BLS key.
 */
function writeKeyFile(nodeDir: string, keyFile: string, account: DerivedAccount, bls: boolean): SecretKey | null {
  mkdirSync(nodeDir, { recursive: true });
  const existing = existsSync(keyFile) ? (readJsonFile(keyFile, "DA key") as Partial<DAKeyFile>) : null;
  let sk: SecretKey | null = null;
  if (bls) sk = existing?.blsSecretKey ? parseSecretKey(keyFile, existing.blsSecretKey) : SecretKey.fromKeygen(randomBytes(32));
  const content: DAKeyFile = { privateKey: account.privateKey };
  if (sk) content.blsSecretKey = bytesToHex(sk.toBytes());
  if (existing?.privateKey === content.privateKey && existing.blsSecretKey === content.blsSecretKey) return sk;
  writeFileSync(keyFile, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  return sk;
}

function parseSecretKey(keyFile: string, hex: string): SecretKey {
  try {
    return SecretKey.fromBytes(hexToBytes(hex));
  } catch (e) {
    throw new CliError(
      { code: CliErrorCode.BAD_ARGUMENT, detail: "blsSecretKey" },
      `${keyFile}: blsSecretKey is not a BLS12-381 secret key (${(e as Error).message}); delete the file or add --reset`,
    );
  }
}
