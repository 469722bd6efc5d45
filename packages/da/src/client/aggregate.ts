import { aggregateSignatures, PublicKey, Signature, verify } from "@chainsafe/blst";
import { CELLS_PER_ROW } from "../encoder/params.js";
import { slotsOf } from "../signer/checkSignRequest.js";

/** Slots a quorum needs signed for `DAEntrance` to accept a blob: 3·hit ≥ 2·128, i.e. 86. */
export const SIGNED_SLOTS_NEEDED = Math.ceil((2 * CELLS_PER_ROW) / 3);

export interface SignerSignature {
  /** The signer's account (slot owner on chain). */
  address: string;
  /** Compressed 96-byte signature it returned. */
  signature: Uint8Array;
}

export interface QuorumAggregate {
  /** Aggregate signature, uncompressed (192 bytes, blst/ZCash order) as `BLS12381.g2FromBytes` takes it. */
  signature: Uint8Array;
  /** 16 bytes, LSB first per byte: every slot of every signer whose signature is in the aggregate. */
  bitmap: Uint8Array;
  signedSlots: number;
  enough: boolean;
  signers: string[];
  /** Signatures left out, with why (the disperser logs them; 0G's client drops them the same way). */
  rejected: { address: string; reason: string }[];
}

/**
 * Aggregates the signatures of a quorum's signers over `message`, each checked first against the key registered on
 * chain (`keys`, compressed G1 by lower-case address) so one bad signer cannot spoil the aggregate.
 */
export function aggregateQuorumSignatures(
  quorum: readonly string[],
  message: Uint8Array,
  keys: ReadonlyMap<string, Uint8Array>,
  answers: readonly SignerSignature[],
): QuorumAggregate {
  const bitmap = new Uint8Array(CELLS_PER_ROW / 8);
  const good: Signature[] = [];
  const signers: string[] = [];
  const rejected: { address: string; reason: string }[] = [];
  let signedSlots = 0;
  for (const a of answers) {
    const address = a.address.toLowerCase();
    const slots = slotsOf(quorum, address);
    const key = keys.get(address);
    if (signers.includes(address)) rejected.push({ address, reason: "answered twice" });
    else if (slots.length === 0) rejected.push({ address, reason: "holds no slot of this quorum" });
    else if (!key) rejected.push({ address, reason: "no registered key" });
    else {
      const sig = parseSignature(a.signature);
      if (!sig || !verify(message, PublicKey.fromBytes(key, true), sig)) {
        rejected.push({ address, reason: "the signature does not verify under its registered key" });
        continue;
      }
      good.push(sig);
      signers.push(address);
      for (const s of slots) bitmap[s >> 3]! |= 1 << (s & 7);
      signedSlots += slots.length;
    }
  }
  const signature = good.length > 0 ? aggregateSignatures(good).toBytes(false) : new Uint8Array(192);
  return { signature, bitmap, signedSlots, enough: signedSlots >= SIGNED_SLOTS_NEEDED, signers, rejected };
}

function parseSignature(bytes: Uint8Array): Signature | null {
  try {
    return Signature.fromBytes(bytes, true, true);
  } catch {
    return null;
  }
}
