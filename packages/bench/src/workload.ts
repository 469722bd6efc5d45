import { type SignedTx, signTx } from "@zerog/chain";
import { deriveAccounts, TEST_MNEMONIC } from "@zerog/cli";
import { contracts } from "@zerog/contracts";
import { hexToBytes, keccak256, rlpEncode } from "@zerog/core";
import { encodeFunctionData } from "viem";

export const CHAIN_ID = 31337n;
export const GWEI = 10n ** 9n;

export interface Sender {
  address: `0x${string}`;
  key: Uint8Array;
}

/** The first `n` accounts of the test mnemonic: anvil's `--accounts n` funds the same ones. */
export function senders(n: number): Sender[] {
  return deriveAccounts(TEST_MNEMONIC, n).map((a) => ({ address: a.address, key: hexToBytes(a.privateKey) }));
}

/** A genesis allocation giving each sender 10,000 native tokens. */
export function fundedAlloc(accounts: Sender[]): Record<string, { balance: string }> {
  return Object.fromEntries(accounts.map((a) => [a.address, { balance: `0x${(10_000n * 10n ** 18n).toString(16)}` }]));
}

/** A fresh recipient per transaction, so every transfer creates an account (the costly case). */
function recipient(i: number): Uint8Array {
  return keccak256(rlpEncode(["zerog-bench", i])).subarray(12);
}

export interface Workload {
  name: string;
  /** Transactions in send order: nonce level by nonce level across senders. */
  txs: SignedTx[];
  /** The last transaction of every sender: the run ends when all have receipts. */
  lastPerSender: SignedTx[];
}

function build(
  name: string,
  from: Sender[],
  perSender: number,
  startNonce: (s: number) => bigint,
  make: (s: Sender, nonce: bigint, i: number) => SignedTx,
): Workload {
  const txs: SignedTx[] = [];
  const last: SignedTx[] = new Array(from.length);
  let i = 0;
  for (let n = 0; n < perSender; n++) {
    for (const [si, s] of from.entries()) {
      const tx = make(s, startNonce(si) + BigInt(n), i++);
      txs.push(tx);
      last[si] = tx;
    }
  }
  return { name, txs, lastPerSender: last };
}

const fees = { maxPriorityFeePerGas: GWEI, maxFeePerGas: 100n * GWEI };

/**
 * Native transfers of 1 wei, each to a fresh account unless `to` says otherwise (`to(i)` for the i-th
 * transaction in send order).
 */
export function nativeTransfers(
  from: Sender[],
  perSender: number,
  startNonce: (s: number) => bigint,
  to: (i: number) => Uint8Array = recipient,
): Workload {
  return build("native transfers", from, perSender, startNonce, (s, nonce, i) =>
    signTx(
      {
        type: 2,
        chainId: CHAIN_ID,
        nonce,
        ...fees,
        gasLimit: 21_000n,
        to: to(i),
        value: 1n,
        data: new Uint8Array(0),
        accessList: [],
      },
      s.key,
    ),
  );
}

export function erc20Transfers(from: Sender[], perSender: number, token: Uint8Array, startNonce: (s: number) => bigint): Workload {
  return build("ERC-20 transfers", from, perSender, startNonce, (s, nonce, i) => {
    const data = hexToBytes(
      encodeFunctionData({
        abi: contracts.TestToken.abi,
        functionName: "transfer",
        args: [`0x${Buffer.from(recipient(1_000_000 + i)).toString("hex")}`, 1n],
      }),
    );
    return signTx({ type: 2, chainId: CHAIN_ID, nonce, ...fees, gasLimit: 90_000n, to: token, value: 0n, data, accessList: [] }, s.key);
  });
}
