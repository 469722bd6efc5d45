import { type Common, createCustomCommon, Hardfork, Mainnet } from "@ethereumjs/common";
import { concatBytes, keccak256, recoverPublicKey, sha256 } from "@zerog/core";
import { fastEIPLookup } from "./evmPatches.js";

/**
 * The ethereumjs `Common` for a zerog chain: Prague rules, our chain id, and native crypto (native
 * secp256k1 for the ecrecover precompile, WASM keccak) in place of the pure-JS defaults.
 */
export function createChainCommon(chainId: bigint): Common {
  const common = createCustomCommon({ chainId: Number(chainId) }, Mainnet, {
    hardfork: Hardfork.Prague,
    customCrypto: {
      keccak256,
      sha256,
      ecrecover: (msgHash: Uint8Array, v: bigint, r: Uint8Array, s: Uint8Array, chainId?: bigint) =>
        recoverPublicKey(msgHash, concatBytes(pad32(r), pad32(s)), Number(recoveryId(v, chainId))),
    },
  });
  return fastEIPLookup(common);
}

/** As @ethereumjs/util's `calculateSigRecovery`: typed (0/1), EIP-155, or 27/28. */
function recoveryId(v: bigint, chainId: bigint | undefined): bigint {
  if (v === 0n || v === 1n) return v;
  return chainId === undefined ? v - 27n : v - (chainId * 2n + 35n);
}

function pad32(b: Uint8Array): Uint8Array {
  if (b.length === 32) return b;
  const out = new Uint8Array(32);
  out.set(b.subarray(Math.max(0, b.length - 32)), 32 - Math.min(32, b.length));
  return out;
}
