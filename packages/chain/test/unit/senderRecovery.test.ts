import { existsSync } from "node:fs";
import { bytesToHex, createSilentLogger, hexToBytes, privateKeyToAddressBytes } from "@zerog/core";
import { afterAll, describe, expect, it } from "vitest";
import { TxErrorCode } from "../../src/errors.js";
import { SenderRecovery } from "../../src/tx/senderRecovery.js";
import { type ParsedTx, parseTx, signTx, type UnsignedTx } from "../../src/tx/transaction.js";

// SenderRecovery with a real worker thread (the built recoveryWorker.js: `npm test` builds first) and inline: senders
// of every transaction type, batches made in one tick, and a signature that does not recover, which rejects only its
// own request.

const workerUrl = new URL("../../dist/tx/recoveryWorker.js", import.meta.url);
const CHAIN_ID = 31337n;

function tx(i: number): { parsed: ParsedTx; sender: string } {
  const key = hexToBytes(`0x${(i + 1).toString(16).padStart(64, "0")}`);
  const type = ([0, 1, 2] as const)[i % 3]!;
  const unsigned: UnsignedTx = {
    type,
    chainId: type === 0 && i % 2 === 0 ? null : CHAIN_ID,
    nonce: BigInt(i),
    maxPriorityFeePerGas: 1n,
    maxFeePerGas: 10n ** 9n,
    gasLimit: 21_000n,
    to: new Uint8Array(20).fill(i),
    value: BigInt(i),
    data: new Uint8Array(0),
    accessList: [],
  };
  const signed = signTx(unsigned, key);
  // Parse again so the sender is recovered, not taken from signTx.
  return { parsed: parseTx(signed.raw), sender: bytesToHex(privateKeyToAddressBytes(key)) };
}

describe.each([
  ["a worker thread", 1],
  ["inline", 0],
])("sender recovery on %s", (_name, workers) => {
  const recovery = new SenderRecovery({ workers }, { logger: createSilentLogger(), workerUrl });
  afterAll(() => recovery.close());

  it.skipIf(workers > 0 && !existsSync(workerUrl))("recovers a batch made in one tick, failing only the bad item", async () => {
    const items = Array.from({ length: 60 }, (_, i) => tx(i));
    // r = 0 never recovers; its neighbours must still resolve.
    const bad = new Set([7, 8, 31]);
    const results = await Promise.allSettled(items.map(({ parsed }, i) => recovery.recover(bad.has(i) ? { ...parsed, r: 0n } : parsed)));
    for (const [i, r] of results.entries()) {
      if (bad.has(i)) {
        expect(r.status).toBe("rejected");
        expect((r as PromiseRejectedResult).reason).toMatchObject({ code: TxErrorCode.INVALID_SIGNATURE });
      } else {
        expect(r.status).toBe("fulfilled");
        expect(bytesToHex((r as PromiseFulfilledResult<{ sender: Uint8Array }>).value.sender)).toBe(items[i]!.sender);
      }
    }
  });
});
