import {
  type Address,
  bytesToHex,
  EMPTY_TRIE_ROOT,
  hexToBytes,
  isAddress,
  isHex,
  keccak256,
  padLeft,
  toChecksumAddress,
} from "@zerog/core";
import { BLOOM_BYTES } from "../block/bloom.js";
import type { BlockHeader } from "../block/header.js";
import { verifyProofOfPossession } from "../consensus/blsKeys.js";
import { ChainError, ChainErrorCode } from "../errors.js";
import { emptyAccount } from "../state/account.js";
import type { BlockState } from "../state/blockState.js";

export interface GenesisAccount {
  balance: bigint;
  nonce?: bigint;
  code?: Uint8Array;
  storage?: Map<string, Uint8Array>;
}

/** A validator of the genesis set: its BLS12-381 public key (48 bytes) and voting power. */
export interface GenesisValidator {
  /** keccak256(publicKey)[12:]. */
  address: Uint8Array;
  publicKey: Uint8Array;
  power: bigint;
  /** The key's signature over itself (`signProofOfPossession`), checked when the genesis is read. */
  proofOfPossession: Uint8Array;
  /** A human name for logs and the devnet manifest. */
  name?: string;
}

/** A chain's genesis: parameters plus initial state. JSON form in `parseGenesis`. */
export interface Genesis {
  chainId: bigint;
  /** Unix seconds. */
  timestamp: bigint;
  gasLimit: bigint;
  baseFeePerGas: bigint;
  /** The base fee never falls below this. */
  minBaseFeePerGas: bigint;
  extraData: Uint8Array;
  alloc: Map<Address, GenesisAccount>;
  /** Contracts deployed in genesis, by name (listed by `zg_systemContracts`). */
  systemContracts: Map<string, Address>;
  /** The consensus validator set at height 1 (empty: the single local block producer). */
  validators: GenesisValidator[];
}

export const GENESIS_DEFAULTS = {
  gasLimit: 60_000_000n,
  baseFeePerGas: 1_000_000_000n,
  minBaseFeePerGas: 1_000_000_000n,
} as const;

function fail(reason: string): never {
  throw new ChainError({ code: ChainErrorCode.GENESIS_INVALID, reason }, `invalid genesis: ${reason}`);
}

function quantity(v: unknown, field: string): bigint {
  if (typeof v === "bigint" && v >= 0n) return v;
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === "string" && /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(v)) return BigInt(v);
  return fail(
    `${field} must be a non-negative integer (number, decimal string or 0x hex), got ${typeof v === "bigint" ? v.toString() : JSON.stringify(v)}`,
  );
}

function bytes(v: unknown, field: string): Uint8Array {
  if (!isHex(v)) return fail(`${field} must be 0x-prefixed hex of even length`);
  return hexToBytes(v);
}

/** Parses and checks a genesis JSON document (see docs in the chain README). */
export function parseGenesis(json: unknown): Genesis {
  if (typeof json !== "object" || json === null || Array.isArray(json)) fail("genesis must be a JSON object");
  const g = json as Record<string, unknown>;
  const alloc = new Map<Address, GenesisAccount>();
  const rawAlloc = g.alloc ?? {};
  if (typeof rawAlloc !== "object" || rawAlloc === null || Array.isArray(rawAlloc)) fail("alloc must be an object of address → account");
  for (const [addr, acc] of Object.entries(rawAlloc as Record<string, unknown>)) {
    const a = addr.startsWith("0x") ? addr : `0x${addr}`;
    if (!isAddress(a)) fail(`alloc key ${addr} is not an address`);
    if (typeof acc !== "object" || acc === null) fail(`alloc.${addr} must be an object`);
    const o = acc as Record<string, unknown>;
    const entry: GenesisAccount = { balance: quantity(o.balance ?? 0, `alloc.${addr}.balance`) };
    if (o.nonce !== undefined) entry.nonce = quantity(o.nonce, `alloc.${addr}.nonce`);
    if (o.code !== undefined) entry.code = bytes(o.code, `alloc.${addr}.code`);
    if (o.storage !== undefined) {
      if (typeof o.storage !== "object" || o.storage === null) fail(`alloc.${addr}.storage must be an object`);
      entry.storage = new Map();
      for (const [k, v] of Object.entries(o.storage as Record<string, unknown>)) {
        const key = bytes(k, `alloc.${addr}.storage key`);
        if (key.length > 32) fail(`alloc.${addr}.storage key ${k} is longer than 32 bytes`);
        entry.storage.set(bytesToHex(key), bytes(v, `alloc.${addr}.storage[${k}]`));
      }
    }
    alloc.set(a.toLowerCase() as Address, entry);
  }
  const systemContracts = new Map<string, Address>();
  for (const [name, addr] of Object.entries((g.systemContracts ?? {}) as Record<string, unknown>)) {
    if (!isAddress(addr)) fail(`systemContracts.${name} is not an address`);
    systemContracts.set(name, toChecksumAddress(addr));
  }
  const validators: GenesisValidator[] = [];
  const rawValidators = g.validators ?? [];
  if (!Array.isArray(rawValidators)) fail("validators must be an array of {publicKey, power, name?}");
  for (const [i, v] of rawValidators.entries()) {
    if (typeof v !== "object" || v === null) fail(`validators[${i}] must be an object`);
    const o = v as Record<string, unknown>;
    const publicKey = bytes(o.publicKey, `validators[${i}].publicKey`);
    if (publicKey.length !== 48) fail(`validators[${i}].publicKey must be a 48-byte BLS12-381 public key`);
    const power = quantity(o.power ?? 1, `validators[${i}].power`);
    // Aggregated commits are only safe with keys proven to be owned (no rogue-key aggregation).
    const pop = bytes(o.proofOfPossession, `validators[${i}].proofOfPossession`);
    if (!verifyProofOfPossession(publicKey, pop)) fail(`validators[${i}].proofOfPossession does not prove ownership of its public key`);
    if (power === 0n) fail(`validators[${i}].power must be positive`);
    const address = keccak256(publicKey).subarray(12);
    if (o.address !== undefined && (!isAddress(o.address) || o.address.toLowerCase() !== bytesToHex(address))) {
      fail(`validators[${i}].address does not match its public key (expected ${bytesToHex(address)})`);
    }
    const entry: GenesisValidator = { address, publicKey, power, proofOfPossession: pop };
    if (typeof o.name === "string") entry.name = o.name;
    if (validators.some((x) => bytesToHex(x.address) === bytesToHex(address))) fail(`validators[${i}] is listed twice`);
    validators.push(entry);
  }
  const chainId = quantity(g.chainId, "chainId");
  if (chainId === 0n) fail("chainId must be positive");
  const gasLimit = quantity(g.gasLimit ?? GENESIS_DEFAULTS.gasLimit, "gasLimit");
  if (gasLimit < 5_000_000n) fail("gasLimit must be at least 5,000,000");
  return {
    chainId,
    timestamp: quantity(g.timestamp ?? 0, "timestamp"),
    gasLimit,
    baseFeePerGas: quantity(g.baseFeePerGas ?? GENESIS_DEFAULTS.baseFeePerGas, "baseFeePerGas"),
    minBaseFeePerGas: quantity(g.minBaseFeePerGas ?? GENESIS_DEFAULTS.minBaseFeePerGas, "minBaseFeePerGas"),
    extraData: g.extraData === undefined ? new Uint8Array(0) : bytes(g.extraData, "extraData"),
    alloc,
    systemContracts,
    validators,
  };
}

/** The JSON form of a genesis (what `zg genesis init` writes). */
export function genesisToJSON(g: Genesis): Record<string, unknown> {
  const alloc: Record<string, unknown> = {};
  for (const [addr, acc] of g.alloc) {
    const o: Record<string, unknown> = { balance: `0x${acc.balance.toString(16)}` };
    if (acc.nonce !== undefined) o.nonce = `0x${acc.nonce.toString(16)}`;
    if (acc.code) o.code = bytesToHex(acc.code);
    if (acc.storage) o.storage = Object.fromEntries([...acc.storage].map(([k, v]) => [k, bytesToHex(v)]));
    alloc[toChecksumAddress(addr)] = o;
  }
  return {
    chainId: Number(g.chainId),
    timestamp: Number(g.timestamp),
    gasLimit: g.gasLimit.toString(),
    baseFeePerGas: g.baseFeePerGas.toString(),
    minBaseFeePerGas: g.minBaseFeePerGas.toString(),
    extraData: bytesToHex(g.extraData),
    systemContracts: Object.fromEntries(g.systemContracts),
    validators: g.validators.map((v) => ({
      address: toChecksumAddress(v.address),
      publicKey: bytesToHex(v.publicKey),
      power: v.power.toString(),
      proofOfPossession: bytesToHex(v.proofOfPossession),
      ...(v.name ? { name: v.name } : {}),
    })),
    alloc,
  };
}

/** Writes the genesis allocation into a fresh state. */
export function genesisState(g: Genesis, state: BlockState): void {
  for (const [addr, acc] of g.alloc) {
    const a = addr.slice(2);
    const codeHash = state.writeCode(acc.code ?? new Uint8Array(0));
    state.writeAccount(a, { ...emptyAccount(), nonce: acc.nonce ?? 0n, balance: acc.balance, codeHash });
    for (const [k, v] of acc.storage ?? []) state.writeStorage(a, padLeft(hexToBytes(k), 32), v);
  }
}

/** The genesis header for a state root. */
export function genesisHeader(g: Genesis, stateRoot: Uint8Array): BlockHeader {
  return {
    parentHash: new Uint8Array(32),
    coinbase: new Uint8Array(20),
    stateRoot,
    transactionsRoot: EMPTY_TRIE_ROOT,
    receiptsRoot: EMPTY_TRIE_ROOT,
    logsBloom: new Uint8Array(BLOOM_BYTES),
    number: 0n,
    gasLimit: g.gasLimit,
    gasUsed: 0n,
    timestamp: g.timestamp,
    extraData: g.extraData,
    mixHash: new Uint8Array(32),
    baseFeePerGas: g.baseFeePerGas,
  };
}
