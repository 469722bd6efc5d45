import { parseAbi } from "viem";

// Fragments of 0G's Flow and FixedPrice ABIs (reference §2.1). Written here rather than imported from
// @zerog/contracts because that package's index imports @zerog/core (lmdb, native secp256k1), which a browser
// cannot load; test/unit/abi.test.ts pins the selectors and topic0 to 0G's.

/** Submission struct of contracts after Dec 2025 (`@0gfoundation` SDK 1.x, Go client): selector 0xbc8c11f8. */
export const flowSubmitNewAbi = parseAbi([
  "function submit(((uint256 length, bytes tags, (bytes32 root, uint256 height)[] nodes) data, address submitter) submission) payable returns (uint256 index, bytes32 digest, uint256 startIndex, uint256 length)",
]);

/** Submission struct of older contracts (`@0glabs/0g-ts-sdk` ≤ 0.3.3): selector 0xef3e12dc. */
export const flowSubmitOldAbi = parseAbi([
  "function submit((uint256 length, bytes tags, (bytes32 root, uint256 height)[] nodes) submission) payable returns (uint256 index, bytes32 digest, uint256 startIndex, uint256 length)",
]);

/** What the client reads from Flow, and the `Submit` event (topic0 0x167ce04d…5555, the same for both ABIs). */
export const flowAbi = parseAbi([
  "function market() view returns (address)",
  "event Submit(address indexed sender, bytes32 indexed identity, uint256 submissionIndex, uint256 startPos, uint256 length, (uint256 length, bytes tags, (bytes32 root, uint256 height)[] nodes) submission)",
]);

export const fixedPriceAbi = parseAbi(["function pricePerSector() view returns (uint256)"]);

/** Flow's genesis address on zerog networks (`STORAGE_SYSTEM_CONTRACTS.Flow`). */
export const DEFAULT_FLOW_ADDRESS = "0x0000000000000000000000000000000000005000" as const;

export type SubmitABI = "new" | "old";
