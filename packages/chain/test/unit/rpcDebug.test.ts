import { contracts } from "@zerog/contracts";
import { bytesToHex, createSilentLogger, hexToBytes, JsonRpcServer } from "@zerog/core";
import { encodeAbiParameters, encodeDeployData, encodeFunctionData, getCreate2Address, keccak256 as viemKeccak } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultChainRPCOptions, RPCContext } from "../../src/rpc/context.js";
import { registerDebugMethods } from "../../src/rpc/debugApi.js";
import { chainErrorMapper } from "../../src/rpc/errors.js";
import { intrinsicGas } from "../../src/tx/intrinsicGas.js";
import type { SignedTx } from "../../src/tx/transaction.js";
import { ADDRESSES, type ChainHarness, startChainHarness } from "../utils/chainHarness.js";

type Hex = `0x${string}`;
type Frame = {
  type: string;
  from: string;
  to?: string;
  value?: string;
  gas: string;
  gasUsed: string;
  input: string;
  output?: string;
  error?: string;
  revertReason?: string;
  calls?: Frame[];
  logs?: { address: string; topics: string[]; data: string; position: string }[];
};
type StructLog = {
  pc: number;
  op: string;
  gas: number;
  gasCost: number;
  depth: number;
  error?: string;
  stack?: string[];
  memory?: string[];
  storage?: Record<string, string>;
  refund?: number;
};
type StructResult = { gas: number; failed: boolean; returnValue: string; structLogs: StructLog[] };

const abi = contracts.TestEvents.abi;
const call = (functionName: string, args: readonly unknown[] = []): Uint8Array =>
  hexToBytes(encodeFunctionData({ abi, functionName, args } as never));

let h: ChainHarness;
let a: Hex;
let b: Hex;
const sender = bytesToHex(ADDRESSES[0]!);

async function rpc(method: string, params: unknown[], url = h.url): Promise<{ result?: any; error?: { code: number; message: string } }> {
  const res = await fetch(url, { method: "POST", body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  return (await res.json()) as { result?: any; error?: { code: number; message: string } };
}

async function ok(method: string, params: unknown[]): Promise<any> {
  const r = await rpc(method, params);
  if (r.error) throw new Error(`${method}: ${r.error.message}`);
  return r.result;
}

function receipt(tx: SignedTx) {
  const loc = h.execution.store.tx(tx.hash)!;
  return h.execution.store.receipts(loc.height)![loc.index]!;
}

/** Mines `tx` alone and checks both tracers agree with its receipt. */
async function mineAndTrace(tx: SignedTx, tracerConfig: Record<string, unknown> = {}): Promise<Frame> {
  await h.mine([tx]);
  const r = receipt(tx);
  const hash = bytesToHex(tx.hash);
  const frame: Frame = await ok("debug_traceTransaction", [hash, { tracer: "callTracer", tracerConfig }]);
  expect(BigInt(frame.gasUsed)).toBe(r.gasUsed);
  expect(BigInt(frame.gas)).toBe(tx.gasLimit);
  expect(frame.error === undefined).toBe(r.status === 1);
  const logs: StructResult = await ok("debug_traceTransaction", [hash, {}]);
  expect(BigInt(logs.gas)).toBe(r.gasUsed);
  expect(logs.failed).toBe(r.status === 0);
  return frame;
}

beforeAll(async () => {
  h = await startChainHarness();
  const deployA = h.sign(0, { data: hexToBytes(contracts.TestEvents.bytecode), gasLimit: 3_000_000n });
  const deployB = h.sign(0, { data: hexToBytes(contracts.TestEvents.bytecode), gasLimit: 3_000_000n });
  await h.mine([deployA, deployB]);
  a = bytesToHex(receipt(deployA).contractAddress!) as Hex;
  b = bytesToHex(receipt(deployB).contractAddress!) as Hex;
});
afterAll(async () => h?.close());

describe("debug_trace* with the callTracer", () => {
  it("traces a contract creation with the created address and code", async () => {
    const tx = h.sign(1, {
      data: hexToBytes(encodeDeployData({ abi: contracts.TestToken.abi, bytecode: contracts.TestToken.bytecode, args: ["T", "T", 1n] })),
      gasLimit: 3_000_000n,
    });
    const frame = await mineAndTrace(tx);
    expect(frame.type).toBe("CREATE");
    expect(frame.from).toBe(bytesToHex(ADDRESSES[1]!));
    expect(frame.to).toBe(bytesToHex(receipt(tx).contractAddress!));
    expect(frame.output).toBe(await ok("eth_getCode", [frame.to, "latest"]));
    expect(frame.value).toBe("0x0");
  });

  it("nests CALL → CALL → CALL frames with inputs, outputs and logs", async () => {
    const inner = call("setValue", [7n]);
    const middle = call("callOther", [a, bytesToHex(inner)]);
    const tx = h.sign(0, { to: hexToBytes(a), data: call("callOther", [b, bytesToHex(middle)]), gasLimit: 500_000n });
    const frame = await mineAndTrace(tx, { withLog: true });
    expect(frame).toMatchObject({ type: "CALL", from: sender, to: a, value: "0x0", input: bytesToHex(tx.data) });
    const c1 = frame.calls![0]!;
    expect(c1).toMatchObject({ type: "CALL", from: a, to: b, value: "0x0", input: bytesToHex(middle) });
    const c2 = c1.calls![0]!;
    expect(c2).toMatchObject({ type: "CALL", from: b, to: a, input: bytesToHex(inner) });
    expect(c2.calls).toBeUndefined();
    expect(c2.output).toBeUndefined();
    expect(c2.logs).toHaveLength(1);
    expect(c2.logs![0]).toMatchObject({ address: a, position: "0x0" });
    expect(c2.logs![0]!.topics).toHaveLength(3);
    expect(frame.logs).toBeUndefined();
    // The callee's gas is what the CALL forwarded; it used no more than that.
    expect(BigInt(c2.gasUsed)).toBeLessThan(BigInt(c2.gas));
    expect(BigInt(c1.gas)).toBeLessThan(BigInt(frame.gas));
    // `callOther` returns the callee's (empty) result ABI-encoded as bytes.
    expect(c1.output).toBe(encodeAbiParameters([{ type: "bytes" }], ["0x"]));

    const top: Frame = await ok("debug_traceTransaction", [
      bytesToHex(tx.hash),
      { tracer: "callTracer", tracerConfig: { onlyTopCall: true } },
    ]);
    expect(top.calls).toBeUndefined();
    expect(top.gasUsed).toBe(frame.gasUsed);
  });

  it("shows CREATE2 children with their logs at their position among the calls", async () => {
    const salt = `0x${"11".repeat(32)}` as Hex;
    const tx = h.sign(0, { to: hexToBytes(a), data: call("deployChild", [salt]), gasLimit: 1_000_000n });
    const frame = await mineAndTrace(tx, { withLog: true });
    const child = frame.calls![0]!;
    const initCode = (contracts.TestEventsChild.bytecode + salt.slice(2)) as Hex;
    expect(child.type).toBe("CREATE2");
    expect(child.from).toBe(a);
    expect(child.to).toBe(getCreate2Address({ from: a, salt, bytecodeHash: viemKeccak(initCode) }).toLowerCase());
    expect(child.input).toBe(initCode);
    expect(child.output).toBe(await ok("eth_getCode", [child.to, "latest"]));
    expect(child.logs).toHaveLength(1);
    expect(child.logs![0]!.position).toBe("0x0");
    // ChildDeployed is emitted after the create: position 1 in the parent.
    expect(frame.logs).toHaveLength(1);
    expect(frame.logs![0]).toMatchObject({ address: a, position: "0x1" });
  });

  it("shows a SELFDESTRUCT inside the CREATE that ran it", async () => {
    const beneficiary = `0x${"be".repeat(20)}` as Hex;
    const tx = h.sign(0, { to: hexToBytes(a), data: call("createAndDestroy", [beneficiary]), value: 1234n, gasLimit: 1_000_000n });
    const frame = await mineAndTrace(tx);
    expect(frame.value).toBe("0x4d2");
    const create = frame.calls![0]!;
    expect(create).toMatchObject({ type: "CREATE", from: a, value: "0x4d2" });
    expect(create.to).toMatch(/^0x[0-9a-f]{40}$/);
    expect(create.output).toBeUndefined();
    expect(create.calls).toEqual([
      { type: "SELFDESTRUCT", from: create.to, to: beneficiary, value: "0x4d2", gas: "0x0", gasUsed: "0x0", input: "0x" },
    ]);
    expect(await ok("eth_getBalance", [beneficiary, "latest"])).toBe("0x4d2");
  });

  it("reports reverted calls with error, revert data and decoded reason; drops their logs", async () => {
    const tx = h.sign(0, {
      to: hexToBytes(a),
      data: call("callOther", [b, bytesToHex(call("revertWithReason", ["nope"]))]),
      gasLimit: 500_000n,
    });
    const frame = await mineAndTrace(tx, { withLog: true });
    expect(receipt(tx).status).toBe(0);
    const revertData = encodeFunctionData({ abi: [{ type: "function", name: "Error", inputs: [{ type: "string" }] }], args: ["nope"] });
    for (const f of [frame, frame.calls![0]!]) {
      expect(f.error).toBe("execution reverted");
      expect(f.revertReason).toBe("nope");
      expect(f.output).toBe(revertData);
      expect(f.logs).toBeUndefined();
    }

    const panic = h.sign(0, { to: hexToBytes(a), data: call("callOther", [b, bytesToHex(call("assertFail"))]), gasLimit: 500_000n });
    const p = await mineAndTrace(panic);
    expect(p.calls![0]!.revertReason).toBe("assert(false)");
  });

  it("traces a plain value transfer as a single CALL frame", async () => {
    const to = `0x${"ab".repeat(20)}` as Hex;
    const tx = h.sign(2, { to: hexToBytes(to), value: 10n ** 18n, gasLimit: 21_000n });
    const frame = await mineAndTrace(tx);
    expect(frame).toEqual({
      from: bytesToHex(ADDRESSES[2]!),
      gas: "0x5208",
      gasUsed: "0x5208",
      to,
      input: "0x",
      value: "0xde0b6b3a7640000",
      type: "CALL",
    });
    const logs: StructResult = await ok("debug_traceTransaction", [bytesToHex(tx.hash)]);
    expect(logs).toEqual({ gas: 21000, failed: false, returnValue: "0x", structLogs: [] });
  });
});

describe("debug_trace* with the struct logger", () => {
  it("logs every opcode with gas that adds up to the receipt", async () => {
    const tx = h.sign(0, { to: hexToBytes(a), data: call("emitMany", [3n]), gasLimit: 300_000n });
    await h.mine([tx]);
    const r = receipt(tx);
    const res: StructResult = await ok("debug_traceTransaction", [bytesToHex(tx.hash), {}]);
    expect(res.failed).toBe(false);
    expect(BigInt(res.gas)).toBe(r.gasUsed);
    expect(res.returnValue).toBe("0x");
    const logs = res.structLogs;
    expect(logs.slice(0, 3).map((l) => l.op)).toEqual(["PUSH1", "PUSH1", "MSTORE"]);
    expect(logs[0]).toMatchObject({ pc: 0, depth: 1, gasCost: 3, stack: [] });
    expect(BigInt(logs[0]!.gas)).toBe(tx.gasLimit - intrinsicGas(tx));
    expect(logs[1]!.stack).toEqual(["0x80"]);
    expect(logs.filter((l) => l.op === "LOG2")).toHaveLength(3);
    expect(logs.every((l) => l.memory === undefined && l.depth === 1 && l.error === undefined)).toBe(true);
    for (let i = 1; i < logs.length; i++) expect(logs[i]!.gas).toBe(logs[i - 1]!.gas - logs[i - 1]!.gasCost);
    const last = logs[logs.length - 1]!;
    expect(last.op).toBe("STOP");
    // No refunds here: what the receipt charges is intrinsic gas plus what the opcodes cost.
    expect(intrinsicGas(tx) + BigInt(logs[0]!.gas - (last.gas - last.gasCost))).toBe(r.gasUsed);

    const full: StructResult = await ok("debug_traceTransaction", [
      bytesToHex(tx.hash),
      { enableMemory: true, disableStack: true, enableReturnData: true },
    ]);
    expect(full.structLogs[0]!.stack).toBeUndefined();
    const mstore = full.structLogs.findIndex((l) => l.op === "MSTORE");
    expect(full.structLogs[mstore + 1]!.memory).toEqual(["0".repeat(64), "0".repeat(64), `${"0".repeat(62)}80`]);
  });

  it("shows storage, nested depths and the gas a CALL forwards", async () => {
    // b calls a, whose `value` an earlier test set to 7.
    const tx = h.sign(0, { to: hexToBytes(b), data: call("callOther", [a, bytesToHex(call("setValue", [9n]))]), gasLimit: 500_000n });
    await h.mine([tx]);
    const res: StructResult = await ok("debug_traceTransaction", [bytesToHex(tx.hash)]);
    expect(BigInt(res.gas)).toBe(receipt(tx).gasUsed);
    const logs = res.structLogs;
    const at = logs.findIndex((l) => l.op === "CALL");
    const c = logs[at]!;
    const first = logs[at + 1]!;
    expect(first).toMatchObject({ depth: 2, pc: 0 });
    // geth counts the forwarded gas in the CALL's cost: here the rest is a cold account access.
    expect(c.gasCost - first.gas).toBe(2600);
    const back = logs.findIndex((l, i) => i > at && l.depth === 1);
    const end = logs[back - 1]!;
    expect(logs[back]!.gas).toBe(c.gas - c.gasCost + (end.gas - end.gasCost));
    const sstore = logs.find((l) => l.op === "SSTORE" && l.depth === 2)!;
    expect(sstore.storage).toEqual({ ["0".repeat(64)]: `${"0".repeat(63)}9` });
    const sload = logs.find((l) => l.op === "SLOAD" && l.depth === 2)!;
    expect(sload.storage).toEqual({ ["0".repeat(64)]: `${"0".repeat(63)}7` });
    expect(logs.some((l) => l.op === "RETURN" && l.depth === 2)).toBe(false);
  });

  it("marks a failed transaction and returns its revert data", async () => {
    const tx = h.sign(0, { to: hexToBytes(a), data: call("revertWithReason", ["bad"]), gasLimit: 100_000n });
    await h.mine([tx]);
    const res: StructResult = await ok("debug_traceTransaction", [bytesToHex(tx.hash)]);
    expect(res.failed).toBe(true);
    expect(BigInt(res.gas)).toBe(receipt(tx).gasUsed);
    expect(res.structLogs[res.structLogs.length - 1]!.op).toBe("REVERT");
    expect(res.returnValue).toMatch(/^0x08c379a0/);
  });

  it("puts out-of-gas on the opcode that could not pay", async () => {
    const tx = h.sign(0, { to: hexToBytes(a), data: call("burnGas", [50n]), gasLimit: 60_000n });
    await h.mine([tx]);
    const res: StructResult = await ok("debug_traceTransaction", [bytesToHex(tx.hash)]);
    expect(res.failed).toBe(true);
    expect(res.returnValue).toBe("0x");
    const last = res.structLogs[res.structLogs.length - 1]!;
    expect(last.error).toBe("out of gas");
    expect(last.gasCost).toBeGreaterThan(last.gas);
    const frame: Frame = await ok("debug_traceTransaction", [bytesToHex(tx.hash), { tracer: "callTracer" }]);
    expect(frame.error).toBe("out of gas");
    expect(frame.gasUsed).toBe("0xea60");
  });
});

describe("debug_traceCall", () => {
  // Code for x: STATICCALL a.value(), DELEGATECALL a.value() (arguments at 0..4, results at 0x20),
  // then CALL a with 1 wei, which x does not have.
  const probe = (target: Hex): Hex => {
    const addr = `73${target.slice(2)}`;
    // PUSH retLength, retOffset, argsLength, argsOffset, the address, GAS, the call, POP.
    const read = (op: string) => `6020602060046000${addr}5a${op}50`;
    return `0x633fa4f24560e01b600052${read("fa")}${read("f4")}60006000600060006001${addr}5af15000`;
  };

  it("runs with state overrides and shows every call type", async () => {
    const x = `0x${"0c".repeat(20)}` as Hex;
    const overrides = {
      [x]: { code: probe(a) },
      [a]: { stateDiff: { [`0x${"0".repeat(64)}`]: `0x${"0".repeat(62)}2a` } },
    };
    const frame: Frame = await ok("debug_traceCall", [
      { from: sender, to: x, gas: "0x30d40" },
      "latest",
      { tracer: "callTracer", stateOverrides: overrides },
    ]);
    expect(frame).toMatchObject({ type: "CALL", from: sender, to: x, gas: "0x30d40", value: "0x0", input: "0x" });
    const [s, d, c] = frame.calls!;
    const word42 = `0x${"0".repeat(62)}2a`;
    expect(s).toMatchObject({ type: "STATICCALL", from: x, to: a, input: "0x3fa4f245", output: word42 });
    expect(s!.value).toBeUndefined();
    // A DELEGATECALL runs a's code on x's storage, which is empty.
    expect(d).toMatchObject({ type: "DELEGATECALL", from: x, to: a, value: "0x0", output: `0x${"0".repeat(64)}` });
    expect(c).toMatchObject({ type: "CALL", from: x, to: a, value: "0x1", gasUsed: "0x0", error: "insufficient balance for transfer" });
    expect(BigInt(c!.gas)).toBeGreaterThan(2300n);

    const logs: StructResult = await ok("debug_traceCall", [{ from: sender, to: x }, "latest", { stateOverrides: overrides }]);
    expect(logs.failed).toBe(false);
    const sload = logs.structLogs.find((l) => l.op === "SLOAD" && l.depth === 2)!;
    expect(Object.values(sload.storage!)).toEqual([word42.slice(2)]);
    expect(logs.structLogs.filter((l) => l.depth === 2).length).toBeGreaterThan(10);
  });

  it("traces a reverting call without failing the request", async () => {
    const frame: Frame = await ok("debug_traceCall", [
      { to: a, data: bytesToHex(call("revertWithReason", ["why"])) },
      "latest",
      { tracer: "callTracer" },
    ]);
    expect(frame).toMatchObject({ error: "execution reverted", revertReason: "why", from: `0x${"0".repeat(40)}` });
    expect(BigInt(frame.gas)).toBe(defaultChainRPCOptions.gasCap);
  });
});

describe("debug_traceBlockBy*", () => {
  it("returns one {txHash, result} per transaction, as traceTransaction does", async () => {
    const txs = [
      h.sign(3, { to: hexToBytes(a), data: call("setValue", [1n]), gasLimit: 200_000n }),
      h.sign(3, { to: hexToBytes(b), value: 5n, gasLimit: 100_000n }),
      h.sign(4, { to: ADDRESSES[0]!, value: 1n, gasLimit: 21_000n }),
    ];
    const height = await h.mine(txs);
    const byNumber = await ok("debug_traceBlockByNumber", [`0x${height.toString(16)}`, { tracer: "callTracer" }]);
    expect(byNumber.map((r: { txHash: string }) => r.txHash)).toEqual(txs.map((t) => bytesToHex(t.hash)));
    for (const [i, tx] of txs.entries()) {
      expect(byNumber[i].result).toEqual(await ok("debug_traceTransaction", [bytesToHex(tx.hash), { tracer: "callTracer" }]));
      expect(BigInt(byNumber[i].result.gasUsed)).toBe(receipt(tx).gasUsed);
    }
    expect(byNumber[1].result.logs).toBeUndefined();
    const hash = bytesToHex(h.execution.head.hash);
    const byHash = await ok("debug_traceBlockByHash", [hash, {}]);
    expect(byHash).toHaveLength(3);
    expect(byHash[0].result.structLogs.length).toBeGreaterThan(0);
    expect(byHash[2].result).toEqual({ gas: 21000, failed: false, returnValue: "0x", structLogs: [] });
    expect(await ok("debug_traceBlockByNumber", ["latest", { tracer: "callTracer" }])).toEqual(byNumber);
  });

  it("replays old blocks from their parent's state", async () => {
    const first = await ok("debug_traceBlockByNumber", ["0x1", { tracer: "callTracer" }]);
    expect(first.map((r: { result: Frame }) => [r.result.type, r.result.to])).toEqual([
      ["CREATE", a],
      ["CREATE", b],
    ]);
    const second = h.execution.store.blockByNumber(1n)!.txHashes[1]!;
    expect(await ok("debug_traceTransaction", [bytesToHex(second), { tracer: "callTracer" }])).toEqual(first[1].result);
  });
});

describe("debug_trace* errors", () => {
  it("rejects unknown transactions, blocks and tracers", async () => {
    const unknown = await rpc("debug_traceTransaction", [`0x${"12".repeat(32)}`]);
    expect(unknown.error).toMatchObject({ code: -32000, message: "transaction not found" });
    const block = await rpc("debug_traceBlockByNumber", ["0x100000"]);
    expect(block.error).toMatchObject({ code: -32000, message: "block #1048576 not found" });
    const genesis = await rpc("debug_traceBlockByNumber", ["0x0"]);
    expect(genesis.error?.message).toBe("genesis is not traceable");
    const hash = bytesToHex(h.execution.head.txHashes[0] ?? new Uint8Array(32));
    const tracer = await rpc("debug_traceTransaction", [hash, { tracer: "prestateTracer" }]);
    expect(tracer.error?.code).toBe(-32602);
    expect(tracer.error?.message).toMatch(/prestateTracer.*callTracer/);
    const config = await rpc("debug_traceTransaction", [hash, { tracer: "callTracer", tracerConfig: { onlyTopCall: "yes" } }]);
    expect(config.error?.code).toBe(-32602);
    const timeout = await rpc("debug_traceTransaction", [hash, { timeout: "soon" }]);
    expect(timeout.error).toMatchObject({ code: -32602 });
    expect(timeout.error?.message).toMatch(/time: invalid duration "soon"/);
  });

  it("aborts a trace that runs out of time", async () => {
    const tx = h.sign(0, { to: hexToBytes(a), data: call("emitMany", [2n]), gasLimit: 300_000n });
    await h.mine([tx]);
    const r = await rpc("debug_traceTransaction", [bytesToHex(tx.hash), { timeout: "1ns" }]);
    expect(r.error).toMatchObject({ code: -32000, message: "execution timeout" });
    expect((await rpc("debug_traceTransaction", [bytesToHex(tx.hash), { timeout: "1m" }])).result).toBeDefined();
  });

  it("refuses struct logs beyond the limit and says how to trace instead", async () => {
    const logger = createSilentLogger();
    const server = new JsonRpcServer({ port: 0 }, { logger, metrics: null, errorMapper: chainErrorMapper });
    const ctx = new RPCContext(defaultChainRPCOptions, {
      execution: h.execution,
      pool: h.pool,
      submitRawTx: async () => new Uint8Array(32),
      peerCount: () => 0,
      syncing: () => false,
    });
    registerDebugMethods(server, ctx, { maxStructLogs: 50 });
    await server.start();
    try {
      const tx = h.sign(0, { to: hexToBytes(a), data: call("emitMany", [5n]), gasLimit: 300_000n });
      await h.mine([tx]);
      const r = await rpc("debug_traceTransaction", [bytesToHex(tx.hash)], server.url);
      expect(r.error?.code).toBe(-32000);
      expect(r.error?.message).toMatch(/limit of 50 struct logs.*disableStack.*callTracer/);
      const calls = await rpc("debug_traceTransaction", [bytesToHex(tx.hash), { tracer: "callTracer" }], server.url);
      expect(calls.result.type).toBe("CALL");
    } finally {
      await server.stop();
    }
  });
});
