import { concatBytes } from "@zerog/core";
import { ContractsError, ContractsErrorCode } from "./errors.js";

/**
 * A value to ABI-encode, already typed: a 32-byte word (uint256, address, bytes32), dynamic bytes (bytes, string), a
 * tuple, or a dynamic array. Enough for constructor arguments without a runtime dependency on viem; the tests check
 * the output against viem's `encodeAbiParameters`.
 */
export type AbiValue =
  | { kind: "word"; value: Uint8Array }
  | { kind: "bytes"; value: Uint8Array }
  | { kind: "tuple"; items: readonly AbiValue[] }
  | { kind: "array"; items: readonly AbiValue[] };

export const abiUint = (n: bigint): AbiValue => {
  if (n < 0n || n >= 1n << 256n) invalid(String(n), "is not a uint256");
  return { kind: "word", value: bigintWord(n) };
};

export const abiAddress = (a: string): AbiValue => {
  if (!/^0x[0-9a-fA-F]{40}$/.test(a)) invalid(a, "is not a 20-byte address");
  return { kind: "word", value: bigintWord(BigInt(a)) };
};

export const abiBytes32 = (h: string): AbiValue => {
  if (!/^0x[0-9a-fA-F]{64}$/.test(h)) invalid(h, "is not 32 bytes of hex");
  return { kind: "word", value: bigintWord(BigInt(h)) };
};

export const abiString = (s: string): AbiValue => ({ kind: "bytes", value: new TextEncoder().encode(s) });
export const abiTuple = (...items: AbiValue[]): AbiValue => ({ kind: "tuple", items });
export const abiArray = (items: readonly AbiValue[]): AbiValue => ({ kind: "array", items });

/** `abi.encode(values...)`: the head/tail encoding of a tuple of `values`. */
export function encodeAbi(values: readonly AbiValue[]): Uint8Array {
  const heads: Uint8Array[] = [];
  const tails: Uint8Array[] = [];
  let tailOffset = values.reduce((sum, v) => sum + (isDynamic(v) ? 32 : staticSize(v)), 0);
  for (const v of values) {
    if (isDynamic(v)) {
      const tail = encodeValue(v);
      heads.push(bigintWord(BigInt(tailOffset)));
      tails.push(tail);
      tailOffset += tail.length;
    } else {
      heads.push(encodeValue(v));
    }
  }
  return concatBytes(...heads, ...tails);
}

function encodeValue(v: AbiValue): Uint8Array {
  switch (v.kind) {
    case "word":
      return v.value;
    case "bytes": {
      const padded = new Uint8Array(Math.ceil(v.value.length / 32) * 32);
      padded.set(v.value);
      return concatBytes(bigintWord(BigInt(v.value.length)), padded);
    }
    case "tuple":
      return encodeAbi(v.items);
    case "array":
      return concatBytes(bigintWord(BigInt(v.items.length)), encodeAbi(v.items));
  }
}

function isDynamic(v: AbiValue): boolean {
  return v.kind === "bytes" || v.kind === "array" || (v.kind === "tuple" && v.items.some(isDynamic));
}

function staticSize(v: AbiValue): number {
  return v.kind === "tuple" ? v.items.reduce((sum, item) => sum + staticSize(item), 0) : 32;
}

function bigintWord(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let x = n;
  for (let i = 31; i >= 0 && x > 0n; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function invalid(value: string, why: string): never {
  throw new ContractsError({ code: ContractsErrorCode.INVALID_ARGUMENT, value }, `constructor argument ${value} ${why}`);
}
