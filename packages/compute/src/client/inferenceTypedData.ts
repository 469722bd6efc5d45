import { INFERENCE_RECEIPT_TYPES, TEE_SETTLEMENT_TYPES } from "@zerog/contracts";
import { type Hex, keccak256, utf8ToBytes } from "@zerog/core";

// The EIP-712 typed data of InferenceServing (docs/compute-plan.md §1) come from @zerog/contracts, next to the
// Solidity that checks them; the type hashes the codecs use are derived from those definitions here.
export { INFERENCE_RECEIPT_TYPES, inferenceEip712Domain, TEE_SETTLEMENT_TYPES } from "@zerog/contracts";

export interface InferenceEip712Domain {
  readonly name: string;
  readonly version: string;
  readonly chainId: number | bigint;
  readonly verifyingContract: Hex;
}

function typeHash(name: string, fields: readonly { name: string; type: string }[]): Uint8Array {
  return keccak256(utf8ToBytes(`${name}(${fields.map((f) => `${f.type} ${f.name}`).join(",")})`));
}

export const EIP712_DOMAIN_TYPEHASH = keccak256(
  utf8ToBytes("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
);
export const INFERENCE_RECEIPT_TYPEHASH = typeHash("InferenceReceipt", INFERENCE_RECEIPT_TYPES.InferenceReceipt);
export const TEE_SETTLEMENT_TYPEHASH = typeHash("TEESettlement", TEE_SETTLEMENT_TYPES.TEESettlement);
