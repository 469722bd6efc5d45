import {
  bytesToHex,
  EMPTY_TRIE_ROOT,
  hexToBytes,
  type JsonRpcServer,
  KECCAK256_EMPTY,
  p,
  padLeft,
  RpcError,
  toQuantity,
} from "@zerog/core";
import type { RPCContext } from "./context.js";
import { blockParam } from "./schemas.js";

/** eth_getBalance, eth_getTransactionCount, eth_getCode, eth_getStorageAt, eth_getProof. */
export function registerStateMethods(server: JsonRpcServer, ctx: RPCContext): void {
  server.register("eth_getBalance", {
    params: [p.address(), blockParam()],
    handler: ([address, tag]) => {
      const state = ctx.stateAt(ctx.blockOrHash(tag));
      return toQuantity(state.getAccount(hexToBytes(address))?.balance ?? 0n);
    },
  });

  server.register("eth_getTransactionCount", {
    params: [p.address(), blockParam()],
    handler: ([address, tag]) => {
      const addr = hexToBytes(address);
      if (tag === "pending") return toQuantity(ctx.deps.pool.pendingNonce(addr));
      return toQuantity(ctx.stateAt(ctx.blockOrHash(tag)).getAccount(addr)?.nonce ?? 0n);
    },
  });

  server.register("eth_getCode", {
    params: [p.address(), blockParam()],
    handler: ([address, tag]) => {
      const state = ctx.stateAt(ctx.blockOrHash(tag));
      const acc = state.getAccount(hexToBytes(address));
      return bytesToHex(acc ? state.getCode(acc.codeHash) : new Uint8Array(0));
    },
  });

  server.register("eth_getStorageAt", {
    params: [p.address(), p.custom("storage slot", (v) => padLeft(hexToBytes(toSlot(v)), 32)), blockParam()],
    handler: ([address, slot, tag]) => {
      const v = ctx.stateAt(ctx.blockOrHash(tag)).getStorage(hexToBytes(address), slot);
      return bytesToHex(padLeft(v, 32));
    },
  });

  server.register("eth_getProof", {
    params: [
      p.address(),
      p.array(
        p.custom("storage slot", (v) => padLeft(hexToBytes(toSlot(v)), 32)),
        { max: 1024 },
      ),
      blockParam(),
    ],
    handler: ([address, slots, tag]) => {
      const block = ctx.blockOrHash(tag);
      const stateDB = ctx.execution.stateDB;
      if (!stateDB.hasRoot(block.header.stateRoot))
        throw RpcError.fromCode(-32000, `missing trie node for state at block ${block.header.number}`);
      const proof = stateDB.prove(block.header.stateRoot, hexToBytes(address), slots);
      const acc = proof.account;
      return {
        address,
        balance: toQuantity(acc?.balance ?? 0n),
        nonce: toQuantity(acc?.nonce ?? 0n),
        codeHash: bytesToHex(acc?.codeHash ?? KECCAK256_EMPTY),
        storageHash: bytesToHex(acc?.storageRoot ?? EMPTY_TRIE_ROOT),
        accountProof: proof.accountProof.map(bytesToHex),
        storageProof: proof.storageProofs.map((s) => ({
          key: bytesToHex(s.slot),
          value: toQuantity(bytesToBigIntSafe(s.value)),
          proof: s.proof.map(bytesToHex),
        })),
      };
    },
  });
}

/** A storage slot as geth accepts it: a 32-byte hash or a shorter hex quantity. */
function toSlot(v: unknown): string {
  if (typeof v !== "string" || !/^0x[0-9a-fA-F]{0,64}$/.test(v)) {
    return p.hash().parse(v);
  }
  const digits = v.slice(2);
  return `0x${digits.length % 2 ? `0${digits}` : digits}`;
}

function bytesToBigIntSafe(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt(bytesToHex(b));
}
