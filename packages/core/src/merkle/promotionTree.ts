import { isHash32 } from "./hex.js";
import { getMerkleBackend } from "./merkleBackend.js";
import { badInput } from "./merkleError.js";

/** Root of the file-tree convention: pair adjacent nodes level by level, promote an unpaired last node (§1.3). */
export function promotionRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) throw badInput("a promotion tree needs at least one leaf");
  const buf = new Uint8Array(leaves.length * 32);
  leaves.forEach((leaf, i) => {
    if (!isHash32(leaf)) throw badInput(`leaf ${i} is not a 32-byte hash`);
    buf.set(leaf, i * 32);
  });
  return getMerkleBackend().promotionRoot(buf);
}
