import type { Common } from "@ethereumjs/common";

/**
 * Two hot spots of `@ethereumjs/evm` 10.1.3, measured with --cpu-prof on ERC-20 blocks:
 * - `Interpreter._getValidJumpDestinations` re-analyses a contract's code on every call (4.4 % of
 *   engine time plus its garbage); the analysis depends only on the code bytes and the hardfork's
 *   opcode table, so we cache it per code array (our state returns one array per code hash).
 * - `Common.isActivatedEIP` is `Array.includes` over ~60 EIPs, called several times per opcode
 *   (3.7 %); a Set answers the same question.
 * Both keep behaviour identical (the differential tests against ethereumjs' own runTx cover them).
 * The interpreter class is not exported, so its module is loaded by file from the package's ESM
 * build — the same module instance the EVM uses. If the layout changes, the patch is skipped.
 */
interface JumpAnalysis {
  jumps: Uint8Array;
  pushes: Record<number, bigint>;
  opcodesCached: unknown[];
}

let patched = false;

export async function patchInterpreter(): Promise<boolean> {
  if (patched) return true;
  try {
    const entry = import.meta.resolve("@ethereumjs/evm");
    const mod = (await import(new URL("./interpreter.js", entry).href)) as { Interpreter?: { prototype: Record<string, unknown> } };
    const proto = mod.Interpreter?.prototype;
    const original = proto?._getValidJumpDestinations as ((code: Uint8Array) => JumpAnalysis) | undefined;
    if (!proto || typeof original !== "function") return false;
    // Keyed by opcode table too: different hardforks analyse the same code differently.
    const cache = new WeakMap<object, WeakMap<Uint8Array, JumpAnalysis>>();
    proto._getValidJumpDestinations = function (this: { _evm: { _opcodeMap: object } }, code: Uint8Array): JumpAnalysis {
      const table = this._evm._opcodeMap;
      let byCode = cache.get(table);
      if (!byCode) {
        byCode = new WeakMap();
        cache.set(table, byCode);
      }
      let hit = byCode.get(code);
      if (!hit) {
        hit = original.call(this, code);
        byCode.set(code, hit);
      }
      return hit;
    };
    patched = true;
    return true;
  } catch {
    return false;
  }
}

/** Replaces a Common's EIP lookup with a Set built from the same list (the hardfork never changes). */
export function fastEIPLookup(common: Common): Common {
  const list = (common as unknown as { _activatedEIPsCache?: number[] })._activatedEIPsCache;
  if (!Array.isArray(list)) return common;
  const eips = new Set(list);
  common.isActivatedEIP = (eip: number) => eips.has(eip);
  return common;
}
