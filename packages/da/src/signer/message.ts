import { keccak256, keccak256Parts } from "@zerog/core";

/** keccak256 of a blob's row commitments concatenated in row order. */
export function commitmentsHashOf(commitments: readonly Uint8Array[]): Uint8Array {
  return keccak256Parts(commitments);
}

function u256(n: number): Uint8Array {
  const out = new Uint8Array(32);
  new DataView(out.buffer).setBigUint64(24, BigInt(n));
  return out;
}

/**
 * What a signer signs for a blob: `keccak256(abi.encodePacked(dataRoot, uint256 epoch, uint256 quorumId,
 * commitmentsHash))`, 32 bytes, BLS-signed under the POP ciphersuite; `DAEntrance` rebuilds it to check the aggregate.
 */
export function blobSignMessage(p: { dataRoot: Uint8Array; epoch: number; quorumId: number; commitmentsHash: Uint8Array }): Uint8Array {
  return keccak256(new Uint8Array([...p.dataRoot, ...u256(p.epoch), ...u256(p.quorumId), ...p.commitmentsHash]));
}
