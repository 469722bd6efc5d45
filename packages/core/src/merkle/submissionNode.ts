import { isHash32 } from "./hex.js";
import { hashPair } from "./keccak.js";
import { badInput } from "./merkleError.js";

/** One node of a Flow submission: the root of 2^height chunks of the padded file. */
export interface SubmissionNode {
  root: Uint8Array;
  height: number;
}

/** File root from submission nodes: the right fold H(n0, H(n1, … H(n_{k-2}, n_{k-1}))) (storage node `nodes_to_root`). */
export function nodesToRoot(nodes: readonly SubmissionNode[]): Uint8Array {
  if (nodes.length === 0) throw badInput("a submission has at least one node");
  for (const [i, n] of nodes.entries()) if (!isHash32(n.root)) throw badInput(`node ${i} root is not a 32-byte hash`);
  let acc = nodes[nodes.length - 1]!.root;
  for (let i = nodes.length - 2; i >= 0; i--) acc = hashPair(nodes[i]!.root, acc);
  return acc.slice();
}
