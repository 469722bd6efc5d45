import { ContractsError, ContractsErrorCode } from "./errors.js";
import { fixedPriceBytecode, flowBytecode, storageRewardBytecode } from "./generated/index.js";

type Hex = `0x${string}`;

/** Where devnet genesis places the 0G Storage contracts (EIP-1352's system range, like other genesis contracts). */
export const STORAGE_SYSTEM_CONTRACTS = {
  Flow: "0x0000000000000000000000000000000000005000",
  FixedPrice: "0x0000000000000000000000000000000000005001",
  StorageReward: "0x0000000000000000000000000000000000005002",
} as const satisfies Record<string, Hex>;

export type StorageSystemContractName = keyof typeof STORAGE_SYSTEM_CONTRACTS;

export interface StorageGenesisParams {
  /** Wei per 256-byte sector. */
  pricePerSector: bigint;
  /** Blocks per mining epoch (`Flow.blocksPerEpoch`). */
  blocksPerEpoch: bigint;
  /** The first block that accepts submissions (`Flow.firstBlock`). */
  firstBlock: bigint;
}

/**
 * Devnet parameters. `pricePerSector` is 0G's turbo configuration (12 months × 33 units: ≈ 0.129 ZG per GiB).
 * `blocksPerEpoch` 60 is 15 s of 250 ms blocks while transactions flow and 2 min of the producer's 2 s empty blocks
 * when idle: several epochs per test run, and the epoch start block stays inside BLOCKHASH's 256-block window.
 */
export const DEVNET_STORAGE_PARAMS: StorageGenesisParams = {
  pricePerSector: 30_733_644_962n,
  blocksPerEpoch: 60n,
  firstBlock: 0n,
};

/** One system contract to deploy in genesis: creation code with its constructor arguments, at its fixed address. */
export interface StorageGenesisDeployment {
  name: StorageSystemContractName;
  address: Hex;
  initCode: Hex;
}

/**
 * The three storage contracts with constructor arguments naming each other by fixed address:
 * `Flow(market, blocksPerEpoch, firstBlock)`, `FixedPrice(flow, reward, pricePerSector)`, `StorageReward(market)`.
 * Run each `initCode` at its `address` (chain `deployGenesisContracts`) to get genesis code and storage.
 */
export function storageGenesisDeployments(
  params: StorageGenesisParams = DEVNET_STORAGE_PARAMS,
  addresses: Record<StorageSystemContractName, Hex> = STORAGE_SYSTEM_CONTRACTS,
): StorageGenesisDeployment[] {
  const { Flow, FixedPrice, StorageReward } = addresses;
  return [
    { name: "Flow", address: Flow, initCode: withArgs(flowBytecode, [FixedPrice, params.blocksPerEpoch, params.firstBlock]) },
    { name: "FixedPrice", address: FixedPrice, initCode: withArgs(fixedPriceBytecode, [Flow, StorageReward, params.pricePerSector]) },
    { name: "StorageReward", address: StorageReward, initCode: withArgs(storageRewardBytecode, [FixedPrice]) },
  ];
}

/** Appends static ABI arguments (addresses and uint256) to creation code. */
function withArgs(bytecode: Hex, args: readonly (Hex | bigint)[]): Hex {
  let out = bytecode as string;
  for (const a of args) {
    if (typeof a === "bigint" ? a < 0n || a >= 1n << 256n : !/^0x[0-9a-fA-F]{40}$/.test(a)) {
      throw new ContractsError(
        { code: ContractsErrorCode.INVALID_ARGUMENT, value: String(a) },
        `constructor argument ${String(a)} is neither a uint256 nor a 20-byte address`,
      );
    }
    out += (typeof a === "bigint" ? a.toString(16) : a.slice(2)).padStart(64, "0");
  }
  return out as Hex;
}
