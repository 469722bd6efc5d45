import { signTx } from "@zerog/chain";
import { contracts } from "@zerog/contracts";
import { hexToBytes, keccak256, rlpEncode } from "@zerog/core";
import { encodeDeployData, encodeFunctionData } from "viem";
import { executionOnly } from "/work/main/packages/bench/dist/executionOnly.js";
import { CHAIN_ID, erc20Transfers, GWEI, nativeTransfers, senders } from "/work/main/packages/bench/dist/workload.js";

const accounts = senders(200);
const alloc = Object.fromEntries(accounts.map((a) => [a.address, { balance: `0x${(10_000n * 10n ** 18n).toString(16)}` }]));
const deployer = accounts[0];
const base = { type: 2, chainId: CHAIN_ID, maxPriorityFeePerGas: GWEI, maxFeePerGas: 100n * GWEI, value: 0n, accessList: [] };
const token = keccak256(rlpEncode([hexToBytes(deployer.address), 0n])).subarray(12);
const setup = [
  signTx(
    {
      ...base,
      nonce: 0n,
      gasLimit: 3_000_000n,
      to: null,
      data: hexToBytes(
        encodeDeployData({ abi: contracts.TestToken.abi, bytecode: contracts.TestToken.bytecode, args: ["B", "B", 10n ** 30n] }),
      ),
    },
    deployer.key,
  ),
  ...accounts.map((s, i) =>
    signTx(
      {
        ...base,
        nonce: BigInt(i + 1),
        gasLimit: 90_000n,
        to: token,
        data: hexToBytes(encodeFunctionData({ abi: contracts.TestToken.abi, functionName: "transfer", args: [s.address, 10n ** 24n] })),
      },
      deployer.key,
    ),
  ),
];
const start = (s) => (s === 0 ? BigInt(accounts.length + 1) : 0n);
const mode = process.argv[2] ?? "erc20";
const w = mode === "erc20" ? erc20Transfers(accounts, 100, token, start) : nativeTransfers(accounts, 100, start);
const r = await executionOnly(alloc, setup, w);
console.log(mode, r.tps.toFixed(0), "tx/s");
