import { bytesToHex } from "@zerog/core";
import type { BlockPart } from "./messages.js";

/** Parts of one proposed block being put back together. */
interface Assembly {
  height: bigint;
  parts: (Uint8Array | undefined)[];
  received: number;
  bytes: number;
}

/** The most blocks being assembled at once (an equivocating proposer cannot fill memory). */
const MAX_ASSEMBLIES = 16;
/** The most bytes of one block. */
const MAX_BLOCK_BYTES = 32 * 1024 * 1024;

/**
 * Collects block parts by block hash. A block is handed out once all its parts arrived; the
 * caller checks that the bytes decode to a header with that hash (a wrong part fails there).
 */
export class BlockAssembler {
  private readonly assemblies = new Map<string, Assembly>();

  /** Adds a part; returns the block's bytes when this part completed it. Malformed parts throw. */
  add(part: BlockPart): Uint8Array | undefined {
    const key = bytesToHex(part.blockHash);
    let a = this.assemblies.get(key);
    if (!a) {
      if (this.assemblies.size >= MAX_ASSEMBLIES) this.assemblies.delete(this.assemblies.keys().next().value!);
      a = { height: part.height, parts: new Array(part.total), received: 0, bytes: 0 };
      this.assemblies.set(key, a);
    }
    if (a.parts.length !== part.total || a.height !== part.height) return undefined;
    if (a.parts[part.index] !== undefined) return undefined;
    a.bytes += part.data.length;
    if (a.bytes > MAX_BLOCK_BYTES) {
      this.assemblies.delete(key);
      return undefined;
    }
    a.parts[part.index] = part.data;
    a.received++;
    if (a.received < a.parts.length) return undefined;
    this.assemblies.delete(key);
    return Buffer.concat(a.parts as Uint8Array[]);
  }

  /** Drops what belongs to heights below `height`. */
  prune(height: bigint): void {
    for (const [k, a] of this.assemblies) if (a.height < height) this.assemblies.delete(k);
  }
}
