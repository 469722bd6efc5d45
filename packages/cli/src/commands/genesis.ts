import { writeFileSync } from "node:fs";
import { deployGenesisContracts, GENESIS_DEFAULTS, genesisToJSON, parseGenesis } from "@zerog/chain";
import {
  type ComputeGenesisParams,
  computeGenesisDeployments,
  type DAGenesisParams,
  type DAGenesisSigner,
  DEVNET_COMPUTE_PARAMS,
  DEVNET_DA_PARAMS,
  DEVNET_STORAGE_PARAMS,
  daGenesisDeployments,
  type StorageGenesisParams,
  storageGenesisDeployments,
} from "@zerog/contracts";
import { bytesToHex, isAddress, toChecksumAddress } from "@zerog/core";
import type { Command } from "commander";
import { CliError, CliErrorCode, intArg } from "../config.js";
import { deriveAccounts, TEST_MNEMONIC } from "../mnemonic.js";

export interface DevGenesisParams {
  chainId: number;
  mnemonic: string;
  accounts: number;
  /** Whole ZG per account. */
  balance: bigint;
  timestamp?: number;
  /** Consensus validators (BLS public keys); none: a single local block producer. */
  validators?: { publicKey: string; power: string; name: string; proofOfPossession: string }[];
  /** 0G Storage contract parameters; default `DEVNET_STORAGE_PARAMS`. */
  storage?: StorageGenesisParams;
  /**
   * 0G DA contracts (`DASigners`, `DARegistry`, `DAEntrance`) with these epoch-0 signers, whose ballot seeds must sign
   * this genesis' `chainId`; none: no DA contracts.
   */
  da?: { params?: DAGenesisParams; signers: DAGenesisSigner[] };
  /** 0G Compute contract parameters; default `DEVNET_COMPUTE_PARAMS`, owned by the mnemonic's account 0. */
  compute?: Omit<ComputeGenesisParams, "owner">;
  /** More addresses funded with `balance` (the devnet's DA, compute provider and verifier accounts). */
  extraAccounts?: string[];
}

/**
 * A development genesis funding the first accounts of a mnemonic, with the 0G Storage system contracts (`Flow`,
 * `FixedPrice`, `StorageReward` at `STORAGE_SYSTEM_CONTRACTS`), the 0G Compute ones (`COMPUTE_SYSTEM_CONTRACTS`) and, when asked, the 0G DA ones (`DA_SYSTEM_CONTRACTS`)
 * deployed: their constructors run in an EVM here and the resulting code and storage go into `alloc`;
 * `systemContracts` lists them for `zg_systemContracts`.
 */
export async function buildDevGenesis(p: DevGenesisParams): Promise<Record<string, unknown>> {
  const alloc: Record<string, unknown> = {};
  const balance = `0x${(p.balance * 10n ** 18n).toString(16)}`;
  const accounts = deriveAccounts(p.mnemonic, p.accounts);
  for (const a of accounts) alloc[a.address] = { balance };
  for (const a of p.extraAccounts ?? []) {
    if (!isAddress(a)) throw new CliError({ code: CliErrorCode.BAD_ARGUMENT, detail: "extraAccounts" }, `${a} is not an address`);
    alloc[toChecksumAddress(a)] = { balance };
  }
  // One EVM for all sets: their addresses (0x…5000-5002, 0x…3000-3002, 0x…1000-1002) are disjoint.
  const deployments: { name: string; address: `0x${string}`; initCode: `0x${string}` }[] = [
    ...storageGenesisDeployments(p.storage ?? DEVNET_STORAGE_PARAMS),
    ...computeGenesisDeployments({ ...(p.compute ?? DEVNET_COMPUTE_PARAMS), owner: accounts[0]!.address as `0x${string}` }),
    ...(p.da ? daGenesisDeployments(p.da.params ?? DEVNET_DA_PARAMS, p.da.signers) : []),
  ];
  const deployed = await deployGenesisContracts(deployments, { chainId: BigInt(p.chainId) });
  const systemContracts: Record<string, string> = {};
  for (const d of deployments) {
    const acc = deployed.get(d.address.toLowerCase() as `0x${string}`);
    if (!acc?.code) continue;
    alloc[d.address] = {
      balance: "0x0",
      nonce: `0x${(acc.nonce ?? 1n).toString(16)}`,
      code: bytesToHex(acc.code),
      storage: Object.fromEntries([...(acc.storage ?? [])].map(([k, v]) => [k, bytesToHex(v)])),
    };
    systemContracts[d.name] = d.address;
  }
  const genesis = parseGenesis({
    chainId: p.chainId,
    timestamp: p.timestamp ?? Math.floor(Date.now() / 1000),
    gasLimit: GENESIS_DEFAULTS.gasLimit,
    alloc,
    systemContracts,
    validators: p.validators ?? [],
  });
  return genesisToJSON(genesis);
}

export function registerGenesisCommands(program: Command): void {
  const genesis = program.command("genesis").description("create and inspect genesis files");
  genesis
    .command("init")
    .description("write a development genesis that funds the accounts of a mnemonic")
    .option("--chain-id <id>", "chain id", intArg("--chain-id", 1), 31337)
    .option("--mnemonic <words>", "BIP-39 mnemonic whose accounts are funded", TEST_MNEMONIC)
    .option("--accounts <n>", "how many accounts to fund", intArg("--accounts", 0, 10_000), 10)
    .option("--balance <zg>", "balance of each account in ZG", "10000")
    .option("--out <file>", "where to write the genesis (default: print it)")
    .action(async (o: { chainId: number; mnemonic: string; accounts: number; balance: string; out?: string }) => {
      if (!/^[0-9]+$/.test(o.balance))
        throw new CliError(
          { code: CliErrorCode.BAD_ARGUMENT, detail: "--balance" },
          `--balance must be a whole number of ZG, got "${o.balance}"`,
        );
      const genesis = await buildDevGenesis({ chainId: o.chainId, mnemonic: o.mnemonic, accounts: o.accounts, balance: BigInt(o.balance) });
      const json = `${JSON.stringify(genesis, null, 2)}\n`;
      if (o.out) {
        writeFileSync(o.out, json);
        console.log(`genesis written to ${o.out}`);
      } else process.stdout.write(json);
    });
}
