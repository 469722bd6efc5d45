import { bytesToHex, concatBytes, hexToBytes, keccak256 } from "@zerog/core";
import { type AbiValue, abiAddress, abiArray, abiBytes32, abiString, abiTuple, abiUint, encodeAbi } from "./abiEncode.js";
import { ContractsError, ContractsErrorCode } from "./errors.js";
import { daEntranceBytecode, daRegistryBytecode, daSignersBytecode } from "./generated/index.js";

type Hex = `0x${string}`;

/**
 * Where devnet genesis places the DA contracts. `DASigners` sits at 0G's precompile address, so 0G tooling that calls
 * `0x…1000` finds it; the other two follow it (nothing else in genesis uses `0x…1000`–`0x…1002`).
 */
export const DA_SYSTEM_CONTRACTS = {
  DASigners: "0x0000000000000000000000000000000000001000",
  DARegistry: "0x0000000000000000000000000000000000001001",
  DAEntrance: "0x0000000000000000000000000000000000001002",
} as const satisfies Record<string, Hex>;

export type DASystemContractName = keyof typeof DA_SYSTEM_CONTRACTS;

export interface DAGenesisParams {
  /** `DASigners`: votes counted per signer and epoch (0G: 1024). */
  maxVotesPerSigner: bigint;
  /** `DASigners`: quorums per epoch, at most 128 (0G: 10). */
  maxQuorums: bigint;
  /** `DASigners`: blocks from one epoch's start to the next `makeEpoch` that can start another. */
  epochBlocks: bigint;
  /** `DARegistry`: wei of stake per vote (0G: 30 ether). */
  tokensPerVote: bigint;
  /** `DARegistry`: votes per registration before `DASigners` caps them again (0G: 102,400). */
  maxVotes: bigint;
  /** `DAEntrance`: wei per data root (0G's default: 0). */
  blobPrice: bigint;
}

/**
 * Devnet parameters. `epochBlocks` 240 is a minute of 250 ms blocks (8 min of the producer's 2 s idle blocks);
 * `tokensPerVote` 1 ether lets a funded devnet account stake for a few votes; 128 votes per signer give each of 4
 * genesis signers about a quarter of every quorum, and 4 × 128 ballots make exactly the 4 quorums allowed.
 */
export const DEVNET_DA_PARAMS: DAGenesisParams = {
  maxVotesPerSigner: 128n,
  maxQuorums: 4n,
  epochBlocks: 240n,
  tokensPerVote: 10n ** 18n,
  maxVotes: 128n,
  blobPrice: 10n ** 15n,
};

/** `BLS12381.G1Point`: each 48-byte coordinate as `Hi` (top 16 bytes) and `Lo` (low 32), EIP-2537's layout. */
export interface G1Point {
  xHi: bigint;
  xLo: bigint;
  yHi: bigint;
  yLo: bigint;
}

/** `BLS12381.G2Point`: x = x0 + x1·u, y = y0 + y1·u, each Fp element split as in `G1Point`. */
export interface G2Point {
  x0Hi: bigint;
  x0Lo: bigint;
  x1Hi: bigint;
  x1Lo: bigint;
  y0Hi: bigint;
  y0Lo: bigint;
  y1Hi: bigint;
  y1Lo: bigint;
}

/** A `DASigners.GenesisSigner`: registered in epoch 0 by the constructor, trusted (no proof of possession). */
export interface DAGenesisSigner {
  signer: Hex;
  socket: string;
  pk: G1Point;
  votes: bigint;
  /** Epoch-0 ballot seed, `daBallotSeed` of the signer's signature over `daEpochRegistrationMessage(signer, 0n, chainId)`. */
  seed: Hex;
}

/** One system contract to deploy in genesis: creation code with its constructor arguments, at its fixed address. */
export interface DAGenesisDeployment {
  name: DASystemContractName;
  address: Hex;
  initCode: Hex;
}

/**
 * The three DA contracts naming each other by fixed address, in construction order:
 * `DASigners((registry, maxVotesPerSigner, maxQuorums, epochBlocks), GenesisSigner[])`,
 * `DARegistry(daSigners, tokensPerVote, maxVotes)`, `DAEntrance(daSigners, blobPrice)`.
 */
export function daGenesisDeployments(
  params: DAGenesisParams,
  genesisSigners: readonly DAGenesisSigner[],
  addresses: Record<DASystemContractName, Hex> = DA_SYSTEM_CONTRACTS,
): DAGenesisDeployment[] {
  const { DASigners, DARegistry, DAEntrance } = addresses;
  const config = abiTuple(
    abiAddress(DARegistry),
    abiUint(params.maxVotesPerSigner),
    abiUint(params.maxQuorums),
    abiUint(params.epochBlocks),
  );
  const signers = abiArray(
    genesisSigners.map((s) => abiTuple(abiAddress(s.signer), abiString(s.socket), g1Value(s.pk), abiUint(s.votes), abiBytes32(s.seed))),
  );
  return [
    { name: "DASigners", address: DASigners, initCode: withArgs(daSignersBytecode, [config, signers]) },
    {
      name: "DARegistry",
      address: DARegistry,
      initCode: withArgs(daRegistryBytecode, [abiAddress(DASigners), abiUint(params.tokensPerVote), abiUint(params.maxVotes)]),
    },
    { name: "DAEntrance", address: DAEntrance, initCode: withArgs(daEntranceBytecode, [abiAddress(DASigners), abiUint(params.blobPrice)]) },
  ];
}

/**
 * A genesis signer from what its BLS key produces: `publicKey` blst's 96-byte uncompressed G1 key and
 * `epochSignature` its 192-byte uncompressed signature over `daEpochRegistrationMessage(signer, 0n, chainId)`, whose
 * hash seeds the signer's epoch-0 ballots exactly as `registerNextEpoch` seeds later ones.
 */
export function daGenesisSigner(p: {
  signer: Hex;
  socket: string;
  publicKey: Uint8Array;
  epochSignature: Uint8Array;
  votes: bigint;
}): DAGenesisSigner {
  return {
    signer: p.signer,
    socket: p.socket,
    pk: g1PointFromBytes(p.publicKey),
    votes: p.votes,
    seed: daBallotSeed(g2PointFromBytes(p.epochSignature)),
  };
}

const POP_DOMAIN = new TextEncoder().encode("0G_BLS12381_Pubkey_Registration");

/** The 211 bytes a proof of possession signs: `signer ‖ uint256 chainId ‖ "0G_BLS12381_Pubkey_Registration" ‖ pk`. */
export function daRegistrationMessage(signer: Hex, chainId: bigint, pk: G1Point): Uint8Array {
  return concatBytes(hexToBytes(signer), uintBytes(chainId, 32), POP_DOMAIN, g1PointToBytes(pk));
}

/** The 60 bytes signed to register for `epoch`: `signer ‖ uint64 epoch ‖ uint256 chainId`. */
export function daEpochRegistrationMessage(signer: Hex, epoch: bigint, chainId: bigint): Uint8Array {
  return concatBytes(hexToBytes(signer), uintBytes(epoch, 8), uintBytes(chainId, 32));
}

/** A registration signature's ballot seed: keccak256 of its 256-byte EIP-2537 encoding (`abi.encode(sig)`). */
export function daBallotSeed(signature: G2Point): Hex {
  return bytesToHex(keccak256(g2PointToBytes(signature))) as Hex;
}

/** blst's 96-byte uncompressed public key (x ‖ y) as a `G1Point`; compressed or flagged input is rejected. */
export function g1PointFromBytes(b: Uint8Array): G1Point {
  const w = coordinateWords(b, 2);
  return { xHi: w[0]!, xLo: w[1]!, yHi: w[2]!, yLo: w[3]! };
}

/** blst's 192-byte uncompressed signature (x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0, ZCash order) as a `G2Point`. */
export function g2PointFromBytes(b: Uint8Array): G2Point {
  const w = coordinateWords(b, 4);
  return { x0Hi: w[2]!, x0Lo: w[3]!, x1Hi: w[0]!, x1Lo: w[1]!, y0Hi: w[6]!, y0Lo: w[7]!, y1Hi: w[4]!, y1Lo: w[5]! };
}

/** The EIP-2537 encoding (128 bytes), as the contracts hash and pass it. */
export function g1PointToBytes(p: G1Point): Uint8Array {
  return concatBytes(...[p.xHi, p.xLo, p.yHi, p.yLo].map((w) => uintBytes(w, 32)));
}

/** The EIP-2537 encoding (256 bytes: x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1). */
export function g2PointToBytes(p: G2Point): Uint8Array {
  return concatBytes(...[p.x0Hi, p.x0Lo, p.x1Hi, p.x1Lo, p.y0Hi, p.y0Lo, p.y1Hi, p.y1Lo].map((w) => uintBytes(w, 32)));
}

function g1Value(p: G1Point): AbiValue {
  return abiTuple(abiUint(p.xHi), abiUint(p.xLo), abiUint(p.yHi), abiUint(p.yLo));
}

/** `count` 48-byte big-endian coordinates as Hi, Lo words in order; no flag bit may be set (uncompressed, not infinity). */
function coordinateWords(b: Uint8Array, count: number): bigint[] {
  if (b.length !== 48 * count || (b[0] ?? 0) & 0xe0) {
    throw new ContractsError(
      { code: ContractsErrorCode.INVALID_ARGUMENT, value: bytesToHex(b) },
      `expected blst's ${48 * count}-byte uncompressed encoding of a point other than infinity, got ${b.length} bytes`,
    );
  }
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) {
    const c = b.subarray(48 * i, 48 * (i + 1));
    out.push(BigInt(bytesToHex(c.subarray(0, 16))), BigInt(bytesToHex(c.subarray(16))));
  }
  return out;
}

function uintBytes(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = n;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function withArgs(bytecode: Hex, args: readonly AbiValue[]): Hex {
  return `${bytecode}${bytesToHex(encodeAbi(args)).slice(2)}` as Hex;
}
